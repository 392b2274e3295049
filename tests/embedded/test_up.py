"""`agentflow up` for real: starts every service, answers health, stops with no orphans, keeps data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from agentflow.embedded.ports import free_port
from tests.factories import PASSWORD

pytestmark = pytest.mark.stack


def stack_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTFLOW_", "PREFECT_"))}
    env["COLUMNS"] = "200"
    return env


def start(data_dir: Path, ports: dict[str, int]) -> subprocess.Popen[str]:
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
        ],
        env=stack_env(),
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
    assert len(descendants) >= 4  # postgres, prefect server, worker, api (+ their children)
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=90)
    _gone, alive = psutil.wait_procs(descendants, timeout=10)
    assert [p.pid for p in alive if p.status() != psutil.STATUS_ZOMBIE] == [], "orphan processes left behind"
    return proc.returncode, output


def test_up_serves_stops_cleanly_and_restarts_onto_the_same_data(tmp_data_dir: Path) -> None:
    ports = {"api": free_port(), "prefect": free_port(), "db": free_port()}
    base = f"http://127.0.0.1:{ports['api']}"

    proc = start(tmp_data_dir, ports)
    try:
        health = wait_healthy(proc, base)
        assert health["components"] == {
            "database": {"status": "ok", "detail": None},
            "prefect": {"status": "ok", "detail": None},
        }
        signup = httpx.post(
            f"{base}/api/v1/auth/signup",
            json={"email": "persist@example.com", "password": PASSWORD, "org_name": "Persisted"},
        )
        assert signup.status_code == 201, signup.text
        pools = httpx.post(f"http://127.0.0.1:{ports['prefect']}/api/work_pools/filter", json={})
        assert "agentflow" in [p["name"] for p in pools.json()]
        assert httpx.get(f"{base}/api/v1/docs").status_code == 200
    finally:
        code, output = stop(proc, signal.SIGINT)
    assert code == 0, output
    for line in ("Postgres", "Prefect server", "Prefect worker", "API", "Stopped every AgentFlow process"):
        assert line in output
    assert f"http://127.0.0.1:{ports['prefect']}" in output

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
    finally:
        code, output = stop(proc, signal.SIGTERM)
    assert code == 0, output


@pytest.mark.parametrize(
    ("flag", "key"), [("--port", "api"), ("--prefect-port", "prefect"), ("--db-port", "db")]
)
def test_port_in_use_names_the_port_and_the_flag(tmp_data_dir: Path, flag: str, key: str) -> None:
    ports = {"api": free_port(), "prefect": free_port(), "db": free_port()}
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", ports[key]))
        blocker.listen()
        proc = start(tmp_data_dir, ports)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"Port {ports[key]}" in output and flag in output
