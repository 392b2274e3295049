"""`agentflow up --prefect-workers 2 --workers 2 --redis-url …` for real, against Debian's redis-server:
two Prefect API processes behind one port plus one services process, two AgentFlow workers. Executions run
on both workers, approvals resume (the worker hears of the resume through Redis, whichever Prefect process
took it), both Prefect API processes serve — and the shapes that cannot work are refused up front."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from agentflow.embedded.ports import free_port, wait_for_port
from tests.embedded.test_up import start, stop, wait_healthy
from tests.factories import PASSWORD

pytestmark = pytest.mark.stack

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
APPROVAL_AGENT = {
    "nodes": [
        {"id": "start", "type": "trigger", "config": {"kind": "api"}},
        {"id": "ask", "type": "human.approval", "config": {"message": "Ship it?"}},
    ],
    "edges": [{"source": "start", "target": "ask"}],
}


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_port("127.0.0.1", port, timeout=20), "redis-server did not start"
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def prefect_api_processes(stack_pid: int) -> list[psutil.Process]:
    """The uvicorn children of the Prefect webserver process (each serves the shared port)."""
    for child in psutil.Process(stack_pid).children():
        if "--no-services" in child.cmdline():
            return [p for p in child.children() if "spawn_main" in " ".join(p.cmdline())]
    raise AssertionError("no Prefect webserver process")


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def wait_for(
    client: httpx.Client, ids: list[str], status: str, within: float = 180
) -> list[dict[str, object]]:
    deadline = time.monotonic() + within
    while True:
        executions = [client.get(f"/executions/{i}").json() for i in ids]
        if all(e["status"] == status for e in executions) or time.monotonic() > deadline:
            assert [e["status"] for e in executions] == [status] * len(ids)
            return executions
        time.sleep(0.5)


@pytest.mark.timeout(900)  # eight processes start on a 2-core machine that other suites share
def test_two_prefect_api_processes_and_two_workers_share_the_work(tmp_data_dir: Path, redis_url: str) -> None:
    ports = {"api": free_port(), "prefect": free_port(), "db": free_port(), "vault": free_port()}
    base = f"http://127.0.0.1:{ports['api']}"
    proc = start(tmp_data_dir, ports, "--prefect-workers", "2", "--workers", "2", "--redis-url", redis_url)
    try:
        wait_healthy(proc, base, timeout=400)
        commands = [" ".join(p.cmdline()) for p in psutil.Process(proc.pid).children()]
        assert sum("server services start" in c for c in commands) == 1  # one services process
        assert sum("agentflow.engine.worker" in c for c in commands) == 2
        api_processes = prefect_api_processes(proc.pid)
        assert len(api_processes) == 2
        before = {p.pid: cpu(p) for p in api_processes}

        signup = httpx.post(
            f"{base}/api/v1/auth/signup",
            json={
                "email": f"scale-{uuid.uuid4().hex[:8]}@example.com",
                "password": PASSWORD,
                "org_name": "S",
            },
        )
        assert signup.status_code == 201, signup.text
        headers = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=30) as client:
            agent = client.post("/agents", json={"name": "Ship", "definition": APPROVAL_AGENT}).json()
            assert client.post(f"/agents/{agent['id']}/publish", json={"message": "v1"}).status_code == 201
            ids = [
                client.post(f"/agents/{agent['id']}/execute", json={"input": {"n": n}}).json()["id"]
                for n in range(8)
            ]
            wait_for(client, ids, "paused")
            for execution_id in ids:
                approved = client.post(f"/executions/{execution_id}/approve", json={"approved": True})
                assert approved.status_code == 200, approved.text
            wait_for(client, ids, "completed")

        # Both workers claimed runs, and both Prefect API processes served requests.
        auth = (tmp_data_dir / "secrets" / "prefect_auth").read_text().strip()
        runs = httpx.post(
            f"http://127.0.0.1:{ports['prefect']}/api/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}, "limit": 100},
            auth=tuple(auth.split(":", 1)),
        ).json()
        workers = {run["labels"].get("prefect.worker.name") for run in runs}
        assert workers == {"agentflow-worker-1", "agentflow-worker-2"}
        # (uvicorn replaces a Prefect API process that stops answering its supervisor on a starved machine:
        # compare the ones that lived through the load.)
        after = prefect_api_processes(proc.pid)
        assert len(after) == 2
        assert all(cpu(p) > before[p.pid] for p in after if p.pid in before)
        logs = {p.name for p in (tmp_data_dir / "logs").glob("*.log")}
        assert {"prefect-server.log", "prefect-services.log", "agentflow-worker-2.log"} <= logs
    finally:
        if proc.poll() is not None:  # the stack stopped on its own: say why
            logs = sorted((tmp_data_dir / "logs").glob("*.log"))
            tails = "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs)
            output = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"agentflow up exited ({proc.returncode}):\n{output}\n{tails}")
        code, output = stop(proc, signal.SIGINT)
    assert code == 0, output
    assert "Prefect workers (2)" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prefect-workers", "2"], "needs Redis"),
        (["--redis-url", "http://127.0.0.1:6379"], "must be a redis://"),
        (["--redis-url", "redis://" + "x" * 2001], "at most 2000 characters"),
    ],
)
def test_shapes_that_cannot_work_are_refused_before_anything_starts(
    tmp_data_dir: Path, args: list[str], message: str
) -> None:
    ports = {"api": free_port(), "prefect": free_port(), "db": free_port(), "vault": free_port()}
    proc = start(tmp_data_dir, ports, *args)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert message in output
    assert "Postgres" not in output  # nothing was started


def test_redis_with_prefect_on_sqlite_is_refused(tmp_data_dir: Path, redis_url: str) -> None:
    ports = {"api": free_port(), "prefect": free_port(), "db": free_port(), "vault": free_port()}
    proc = start(
        tmp_data_dir,
        ports,
        "--redis-url",
        redis_url,
        "--prefect-workers",
        "2",
        env={"AGENTFLOW_PREFECT_DATABASE": "sqlite"},
    )
    output, _ = proc.communicate(timeout=240)
    assert proc.returncode == 1
    assert "keeps its state in Postgres" in output
