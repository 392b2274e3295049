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


# The server's event services write one transaction per event by default; batching them cut the server's
# CPU per execution 1.5-2.9x here, for task runs that show up in the UI up to a second later.
SERVER_TUNING = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "500",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "1",
}


def server_process(data_dir: Path, *, host: str, port: int) -> ManagedProcess:
    api_url = f"http://{host}:{port}/api"
    env = prefect_env(data_dir, api_url)
    env["PREFECT_UI_API_URL"] = api_url
    for key, value in SERVER_TUNING.items():
        env.setdefault(key, value)
    return ManagedProcess(
        name="prefect-server",
        # Prefect's own CLI, with SQLite transactions taking the write lock up front (see prefect_server.py).
        argv=[
            sys.executable,
            "-m",
            "agentflow.embedded.prefect_server",
            "server",
            "start",
            "--host",
            host,
            "--port",
            str(port),
        ],
        log_path=data_dir / "logs" / "prefect-server.log",
        env=env,
        stop_timeout=20,
    )


def worker_env(data_dir: Path, *, api_url: str, env: Mapping[str, str]) -> dict[str, str]:
    """The worker's whole environment: `env` (AgentFlow's settings, Vault credentials) and Prefect's settings.

    No result storage: node tasks persist nothing (a resumed or retried run reuses completed steps from
    their step rows, engine/checkpoints.py), so workers need no storage shared between machines."""
    merged = prefect_env(data_dir, api_url, base=env)
    merged.update(
        {
            "PREFECT_LOGGING_TO_API_ENABLED": "false",
        }
    )
    return merged


def worker_process(
    data_dir: Path, *, api_url: str, env: Mapping[str, str], name: str, pool: str = WORK_POOL
) -> ManagedProcess:
    """The in-process AgentFlow worker; `env` is its whole environment (Prefect's variables go on top)."""
    return ManagedProcess(
        name=name,
        argv=[sys.executable, "-m", "agentflow.engine.run_worker", "--pool", pool, "--name", name],
        log_path=data_dir / "logs" / f"{name}.log",
        env=worker_env(data_dir, api_url=api_url, env=env),
        stop_timeout=20,
        restartable=True,
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
    """Create the `agentflow-inproc` work pool if missing (an existing pool and an operator's edits are left
    alone)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from agentflow.engine.worker import AgentFlowWorker

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            try:
                await client.read_work_pool(name)
                return
            except ObjectNotFound:
                pass
            with contextlib.suppress(ObjectAlreadyExists):  # another `agentflow up` raced us to it
                await client.create_work_pool(
                    WorkPoolCreate(
                        name=name,
                        type=AgentFlowWorker.type,
                        base_job_template=AgentFlowWorker.get_default_base_job_template(),
                    )
                )
