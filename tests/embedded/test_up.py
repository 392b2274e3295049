"""`agentflow up` for real: starts every service, answers health, stops with no orphans, keeps data —
and a secret written through it lands in Vault only: not in Postgres, Prefect's database or any log."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil
import pytest

from agentflow.embedded.ports import free_port
from agentflow.secrets.paths import SecretKind, SecretRef
from tests.factories import PASSWORD

pytestmark = pytest.mark.stack


def stack_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTFLOW_", "PREFECT_", "VAULT_"))}
    env["COLUMNS"] = "200"
    return env


def pg_dump(data_dir: Path, port: int, database: str = "agentflow") -> str:
    """A plain-SQL dump of AgentFlow's database, with the pg_dump next to postgres in the pgserver wheel."""
    from agentflow.embedded.postgres import POSTGRES_BIN

    password = (data_dir / "secrets" / "postgres_password").read_text().strip()
    result = subprocess.run(
        [
            str(POSTGRES_BIN / "pg_dump"),
            "--host=127.0.0.1",
            f"--port={port}",
            "--username=postgres",
            f"--dbname={database}",
        ],
        env={**os.environ, "PGPASSWORD": password},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def files_containing(paths: list[Path], needles: dict[str, str]) -> list[str]:
    found = []
    for path in paths:
        content = path.read_bytes()
        found += [f"{label} in {path}" for label, needle in needles.items() if needle.encode() in content]
    return found


def prefect_credentials(data_dir: Path) -> dict[str, str]:
    """What `<data-dir>/prefect.env` tells an operator: the API URL and its basic-auth credentials."""
    values = {}
    for line in (data_dir / "prefect.env").read_text().splitlines():
        key, _, value = line.partition("=")
        values[key] = shlex.split(value)[0]
    return values


async def read_through_vault_block(
    prefect_api: str, auth: str, worker_env: dict[str, str], ref: SecretRef
) -> str | None:
    """What a flow on the worker would do: load the `agentflow-vault` block, resolve a secret with it."""
    from prefect.client.orchestration import PrefectClient

    from blocks.vault import VaultConnection

    async with PrefectClient(api=prefect_api, auth_string=auth) as client:
        block = await VaultConnection.aload("agentflow-vault", client=client)
    saved = {k: os.environ.get(k) for k in worker_env}
    os.environ.update(worker_env)
    try:
        return await block.get_store(cache_seconds=0).read_value(ref)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start(
    data_dir: Path, ports: dict[str, int], *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`agentflow up` on the given ports; `args` add options (`--workers 2`)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentflow",
            "up",
            "--data-dir",
            str(data_dir),
            "--port",
            str(ports["api"]),
            "--prefect-port",
            str(ports["prefect"]),
            "--db-port",
            str(ports["db"]),
            "--vault-port",
            str(ports["vault"]),
            *args,
        ],
        env=stack_env() | (env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(proc: subprocess.Popen[str], base: str, timeout: float = 180) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"agentflow up exited early:\n{proc.stdout.read() if proc.stdout else ''}"
        try:
            response = httpx.get(f"{base}/api/v1/health", timeout=3)
            last = response.json()
            if response.status_code == 200:
                return dict(response.json())
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"stack not healthy in {timeout}s: {last}")


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    descendants = psutil.Process(proc.pid).children(recursive=True)
    assert len(descendants) >= 5  # postgres, openbao, prefect server, worker, api (+ their children)
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=90)
    _gone, alive = psutil.wait_procs(descendants, timeout=10)
    assert [p.pid for p in alive if p.status() != psutil.STATUS_ZOMBIE] == [], "orphan processes left behind"
    return proc.returncode, output


def test_up_serves_stops_cleanly_and_restarts_onto_the_same_data(tmp_data_dir: Path) -> None:
    ports = {"api": free_port(), "prefect": free_port(), "db": free_port(), "vault": free_port()}
    base = f"http://127.0.0.1:{ports['api']}"
    prefect_api = f"http://127.0.0.1:{ports['prefect']}/api"
    secret = f"sk-stack-{uuid.uuid4().hex}"

    proc = start(tmp_data_dir, ports)
    try:
        health = wait_healthy(proc, base)
        assert health["components"] == {
            "database": {"status": "ok", "detail": None},
            "prefect": {"status": "ok", "detail": None},
            "vault": {"status": "ok", "detail": None},
        }
        signup = httpx.post(
            f"{base}/api/v1/auth/signup",
            json={"email": "persist@example.com", "password": PASSWORD, "org_name": "Persisted"},
        )
        assert signup.status_code == 201, signup.text
        headers = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        created = httpx.post(
            f"{base}/api/v1/org/secrets",
            json={"name": "STACK_SECRET", "value": secret, "description": "written through the stack"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        # Prefect's API is not a side door: without the generated credentials it answers 401 …
        assert httpx.post(f"{prefect_api}/work_pools/filter", json={}).status_code == 401
        assert httpx.post(f"{prefect_api}/flow_runs/filter", json={}).status_code == 401
        # … and `prefect.env` (0600) holds what an operator needs for Prefect's CLI and UI.
        creds = prefect_credentials(tmp_data_dir)
        assert creds["PREFECT_API_URL"] == prefect_api
        assert stat.S_IMODE((tmp_data_dir / "prefect.env").stat().st_mode) == 0o600
        auth = creds["PREFECT_API_AUTH_STRING"]
        pools = httpx.post(f"{prefect_api}/work_pools/filter", json={}, auth=tuple(auth.split(":", 1)))
        assert "agentflow" in [p["name"] for p in pools.json()]
        assert httpx.get(f"{base}/api/v1/docs").status_code == 200

        # The value is in Vault, where a flow on the worker finds it through the registered block …
        secrets_dir = tmp_data_dir / "secrets"
        approles = json.loads((secrets_dir / "openbao-approle.json").read_text())
        worker_env = {
            "VAULT_ROLE_ID": approles["worker"]["role_id"],
            "VAULT_SECRET_ID": approles["worker"]["secret_id"],
        }
        ref = SecretRef(
            org_id=uuid.UUID(signup.json()["org"]["id"]), kind=SecretKind.env, name="STACK_SECRET"
        )
        assert asyncio.run(read_through_vault_block(prefect_api, auth, worker_env, ref)) == secret
        # … and nowhere else: not in AgentFlow's database, Prefect's database or any log file.
        needles = {
            "secret value": secret,
            "root token": json.loads((secrets_dir / "openbao-init.json").read_text())["root_token"],
            "api secret id": approles["api"]["secret_id"],
            "worker secret id": approles["worker"]["secret_id"],
            "prefect password": auth.split(":", 1)[1],
        }
        dump = pg_dump(tmp_data_dir, ports["db"])
        assert "STACK_SECRET" in dump  # the dump does hold the secret's metadata row
        assert [label for label, needle in needles.items() if needle in dump] == []
        # Prefect keeps its state in its own database of the embedded Postgres (no SQLite file).
        assert list((tmp_data_dir / "prefect").glob("prefect.db*")) == []
        prefect_dump = pg_dump(tmp_data_dir, ports["db"], "prefect")
        assert "agentflow-vault" in prefect_dump  # the block is in there
        assert [label for label, needle in needles.items() if needle in prefect_dump] == []
        logs = sorted((tmp_data_dir / "logs").glob("*"))
        assert {p.name for p in logs} >= {"api.log", "openbao.log", "postgres.log", "agentflow-worker-1.log"}
        assert files_containing(logs, needles) == []
        for name in ("openbao-init.json", "openbao-approle.json"):
            assert stat.S_IMODE((secrets_dir / name).stat().st_mode) == 0o600
    finally:
        code, output = stop(proc, signal.SIGINT)
    assert code == 0, output
    for line in (
        "Postgres",
        "OpenBao",
        "Prefect server",
        "Prefect worker",
        "API",
        "Stopped every AgentFlow process",
    ):
        assert line in output
    assert f"http://127.0.0.1:{ports['prefect']}" in output
    assert f"http://127.0.0.1:{ports['vault']}" in output

    proc = start(tmp_data_dir, ports)
    try:
        wait_healthy(proc, base)
        login = httpx.post(
            f"{base}/api/v1/auth/login", json={"email": "persist@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        assert login.json()["org"]["name"] == "Persisted"
        # The signing key lives in the data dir, so a token from before the restart still works.
        old_token = signup.json()["access_token"]
        me = httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"})
        assert me.status_code == 200
        # OpenBao was unsealed again: the secret and the scoped credentials survived the restart.
        kept = httpx.get(f"{base}/api/v1/org/secrets/STACK_SECRET", headers=headers)
        assert kept.status_code == 200 and kept.json()["version"] == 1
        assert json.loads((secrets_dir / "openbao-approle.json").read_text()) == approles
        assert asyncio.run(read_through_vault_block(prefect_api, auth, worker_env, ref)) == secret
        assert prefect_credentials(tmp_data_dir)["PREFECT_API_AUTH_STRING"] == auth  # kept across restarts
    finally:
        code, output = stop(proc, signal.SIGTERM)
    assert code == 0, output


@pytest.mark.parametrize(
    ("flag", "key"),
    [("--port", "api"), ("--prefect-port", "prefect"), ("--db-port", "db"), ("--vault-port", "vault")],
)
def test_port_in_use_names_the_port_and_the_flag(tmp_data_dir: Path, flag: str, key: str) -> None:
    ports = {"api": free_port(), "prefect": free_port(), "db": free_port(), "vault": free_port()}
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", ports[key]))
        blocker.listen()
        proc = start(tmp_data_dir, ports)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"Port {ports[key]}" in output and flag in output
