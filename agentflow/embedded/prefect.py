"""The Prefect server and worker that `agentflow up` runs, and the `agentflow` work pool."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from agentflow.embedded.process import ManagedProcess
from agentflow.errors import AgentFlowError

WORK_POOL = "agentflow"


class PrefectError(AgentFlowError):
    code = "prefect_failed"


def prefect_env(data_dir: Path, api_url: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for every Prefect process: its home (SQLite database, profiles) in the data dir."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "PREFECT_HOME": str(data_dir / "prefect"),
            "PREFECT_API_URL": api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_COLORS": "false",
        }
    )
    return env


def server_process(data_dir: Path, *, host: str, port: int) -> ManagedProcess:
    api_url = f"http://{host}:{port}/api"
    env = prefect_env(data_dir, api_url)
    env["PREFECT_UI_API_URL"] = api_url
    return ManagedProcess(
        name="prefect-server",
        argv=[sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
        log_path=data_dir / "logs" / "prefect-server.log",
        env=env,
        stop_timeout=20,
    )


def worker_process(data_dir: Path, *, api_url: str, env: dict[str, str], name: str) -> ManagedProcess:
    """A process worker; `env` is its whole environment (Prefect's variables are added on top)."""
    worker_env = prefect_env(data_dir, api_url, base=env)
    return ManagedProcess(
        name=name,
        argv=[
            sys.executable,
            "-m",
            "prefect",
            "worker",
            "start",
            "--pool",
            WORK_POOL,
            "--type",
            "process",
            "--name",
            name,
        ],
        log_path=data_dir / "logs" / f"{name}.log",
        env=worker_env,
        stop_timeout=20,
    )


def wait_healthy(api_url: str, *, timeout: float, process: ManagedProcess | None = None) -> None:
    """Poll `<api>/health` until it answers (or the process dies, or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise PrefectError(f"Prefect server exited during start-up:\n{process.tail()}")
        try:
            if httpx.get(f"{api_url.rstrip('/')}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise PrefectError(f"Prefect at {api_url} did not become healthy within {timeout:.0f}s")


async def ensure_work_pool(api_url: str, *, name: str = WORK_POOL) -> None:
    """Create the process work pool if missing; an existing pool (and an operator's edits) is left alone."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    async with PrefectClient(api=api_url) as client:
        try:
            await client.read_work_pool(name)
            return
        except ObjectNotFound:
            pass
        with contextlib.suppress(ObjectAlreadyExists):  # another `agentflow up` raced us to it
            await client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type=ProcessWorker.type,
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
