"""How `agentflow up` wires Vault without starting anything: ports, child environments, `vault setup`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import hvac
import pytest

from agentflow.embedded.openbao import EmbeddedOpenBao
from agentflow.embedded.ports import PortInUse, free_port
from agentflow.embedded.stack import Stack, StackConfig
from tests.conftest import vault_info


def busy_port() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock, int(sock.getsockname()[1])


def config(tmp_data_dir: Path, **overrides: object) -> StackConfig:
    ports = {"api_port": free_port(), "prefect_port": free_port(), "db_port": free_port()}
    return StackConfig(data_dir=tmp_data_dir, **{**ports, "vault_port": free_port(), **overrides})  # type: ignore[arg-type]


def test_the_vault_port_is_checked_only_for_the_embedded_openbao(tmp_data_dir: Path) -> None:
    sock, port = busy_port()
    with sock:
        with pytest.raises(PortInUse, match=f"Port {port}.*--vault-port"):
            Stack(config(tmp_data_dir, vault_port=port)).check_ports()
        external = Stack(config(tmp_data_dir, vault_port=port, external_vault_addr="http://vault:8200"))
        external.check_ports()
        assert external.vault_addr == "http://vault:8200"


def test_embedded_credentials_replace_any_vault_variables(
    tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULT_TOKEN", "a-token-from-the-shell")
    monkeypatch.setenv("VAULT_NAMESPACE", "elsewhere")
    stack = Stack(config(tmp_data_dir))
    stack.openbao = bao = EmbeddedOpenBao(tmp_data_dir, port=stack.config.vault_port)
    bao.credentials_file.parent.mkdir(parents=True)
    bao.credentials_file.write_text(
        '{"api": {"role_id": "ra", "secret_id": "sa"}, "worker": {"role_id": "rw", "secret_id": "sw"}}'
    )
    api = stack._child_env({"AGENTFLOW_X": "1"}, role="api")
    worker = stack._child_env({"AGENTFLOW_X": "1"}, role="worker")
    assert {k: v for k, v in api.items() if k.startswith("VAULT_")} == {
        "VAULT_ADDR": bao.addr,
        "VAULT_ROLE_ID": "ra",
        "VAULT_SECRET_ID": "sa",
    }
    assert worker["VAULT_ROLE_ID"] == "rw" and "VAULT_TOKEN" not in worker
    assert api["AGENTFLOW_X"] == "1"


def test_an_external_vault_is_passed_through(tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_ADDR", "http://vault:8200")
    monkeypatch.setenv("VAULT_TOKEN", "scoped-token")
    stack = Stack(config(tmp_data_dir, external_vault_addr="http://vault:8200"))
    env = stack._child_env({}, role="worker")
    assert env["VAULT_ADDR"] == "http://vault:8200" and env["VAULT_TOKEN"] == "scoped-token"


def test_vault_setup_prepares_an_external_vault_with_scoped_approles() -> None:
    vault = vault_info()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "AGENTFLOW_"))}
    env.update(VAULT_ADDR=vault["addr"], VAULT_TOKEN=vault["root_token"])
    result = subprocess.run(
        [sys.executable, "-m", "agentflow", "vault", "setup"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert set(printed) == {
        "VAULT_API_ROLE_ID",
        "VAULT_API_SECRET_ID",
        "VAULT_WORKER_ROLE_ID",
        "VAULT_WORKER_SECRET_ID",
    }
    client = hvac.Client(url=vault["addr"], token="")
    client.auth.approle.login(role_id=printed["VAULT_API_ROLE_ID"], secret_id=printed["VAULT_API_SECRET_ID"])
    client.secrets.kv.v2.create_or_update_secret(
        path="agentflow/setup-check", secret={"v": "1"}, mount_point="secret"
    )
    with pytest.raises(hvac.exceptions.Forbidden):
        client.secrets.kv.v2.create_or_update_secret(path="outside", secret={"v": "1"}, mount_point="secret")


def test_vault_setup_needs_an_admin_token() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "AGENTFLOW_"))}
    env["VAULT_ADDR"] = vault_info()["addr"]
    result = subprocess.run(
        [sys.executable, "-m", "agentflow", "vault", "setup"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "VAULT_TOKEN" in result.stdout
