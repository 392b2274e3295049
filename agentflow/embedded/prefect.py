"""The Prefect server and worker that `agentflow up` runs, and the `agentflow` work pool."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from agentflow.embedded.process import ManagedProcess
from agentflow.errors import AgentFlowError

WORK_POOL = "agentflow"
AUTH_USER = "agentflow"


class PrefectError(AgentFlowError):
    code = "prefect_failed"


def prefect_env(
    data_dir: Path, api_url: str, base: Mapping[str, str] | None = None, *, auth_string: str | None = None
) -> dict[str, str]:
    """Environment for every Prefect process: its home (SQLite database, profiles) in the data dir, and the
    credentials of the authenticated Prefect API."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "PREFECT_HOME": str(data_dir / "prefect"),
            "PREFECT_API_URL": api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_COLORS": "false",
        }
    )
    if auth_string:
        env["PREFECT_API_AUTH_STRING"] = auth_string
    return env


def new_auth_string() -> str:
    """`agentflow:<random>`: the Prefect server's basic-auth credentials (user `agentflow`)."""
    return f"{AUTH_USER}:{secrets.token_urlsafe(32)}"


# The server's event services write one transaction per event by default; batching them cut the server's
# CPU per execution 1.5-2.9x here, for task runs that show up in the UI up to a second later.
SERVER_TUNING = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "500",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "1",
}
RESULTS_BLOCK = "agentflow-results"
# A flow run's Logs tab in Prefect's UI: the engine's own lines (each step's start, end or error, masked; see
# engine/worker/run_log.py) and Prefect's warnings and errors (a failing task's traceback, a crash). Prefect's
# INFO lines ("Beginning flow run", one "Finished in state Completed()" per task) say what the engine's lines
# say, and Prefect's server spends ~1.7 ms of CPU on every log record it stores. Defaults an operator's
# environment may override.
RUN_LOGS = {
    "PREFECT_LOGGING_TO_API_ENABLED": "true",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "WARNING",
}


# Prefect on Postgres: its pool per server process (Prefect's default 5 + 10 overflow queued requests behind
# the event services' batches under load).
POSTGRES_TUNING = {
    "PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_SIZE": "10",
    "PREFECT_SERVER_DATABASE_SQLALCHEMY_MAX_OVERFLOW": "10",
}


def server_env(
    data_dir: Path, *, host: str, port: int, auth_string: str | None, database_url: str | None = None
) -> dict[str, str]:
    """The Prefect server's environment; with `auth_string` every API call (and the UI) needs those
    credentials; with `database_url` (SQLAlchemy, asyncpg) it keeps its state in that Postgres database
    instead of SQLite."""
    api_url = f"http://{host}:{port}/api"
    env = prefect_env(data_dir, api_url, auth_string=auth_string)
    env["PREFECT_UI_API_URL"] = api_url
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
        for key, value in POSTGRES_TUNING.items():
            env.setdefault(key, value)
    if auth_string:
        env["PREFECT_SERVER_API_AUTH_STRING"] = auth_string
    for key, value in SERVER_TUNING.items():
        env.setdefault(key, value)
    return env


def server_process(
    data_dir: Path, *, host: str, port: int, auth_string: str | None, database_url: str | None = None
) -> ManagedProcess:
    """The Prefect server, API and services in one process (see `server_env`)."""
    env = server_env(data_dir, host=host, port=port, auth_string=auth_string, database_url=database_url)
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
    """The worker's whole environment: `env` (AgentFlow's settings, Vault and Prefect credentials), Prefect's
    settings, and the result storage Prefect insists on resolving."""
    merged = prefect_env(data_dir, api_url, base=env, auth_string=env.get("PREFECT_API_AUTH_STRING"))
    merged.update(
        {
            # Node tasks persist no results (completed steps are reused from their rows). A default block
            # is still named: without one, Prefect asks the server for its default storage with a
            # blocking HTTP call on every flow run (~10 % of the worker's time, measured).
            "PREFECT_LOCAL_STORAGE_PATH": str(data_dir / "results"),
            "PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK": f"local-file-system/{RESULTS_BLOCK}",
        }
    )
    for key, value in RUN_LOGS.items():
        merged.setdefault(key, value)
    return merged


def worker_process(
    data_dir: Path, *, api_url: str, env: Mapping[str, str], name: str, pool: str = WORK_POOL
) -> ManagedProcess:
    """The in-process AgentFlow worker; `env` is its whole environment (Prefect's variables go on top)."""
    return ManagedProcess(
        name=name,
        argv=[sys.executable, "-m", "agentflow.engine.worker", "--pool", pool, "--name", name],
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


async def ensure_work_pool(
    api_url: str,
    *,
    auth_string: str | None,
    name: str = WORK_POOL,
    results_dir: Path | None = None,
) -> None:
    """Create the `agentflow-inproc` work pool if missing (an existing pool and an operator's edits are left
    alone) and the default result storage block (see `worker_env`)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.filesystems import LocalFileSystem
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from agentflow.engine.worker.inproc import AgentFlowWorker

    with temporary_settings(updates={PREFECT_API_URL: api_url, PREFECT_API_AUTH_STRING: auth_string}):
        if results_dir is not None:
            # `local-file-system/agentflow-results`: named so Prefect need not ask the server; nothing of
            # AgentFlow's is written there, so it need not be shared between machines.
            await asyncio.to_thread(results_dir.mkdir, parents=True, exist_ok=True)
            await LocalFileSystem(basepath=str(results_dir)).save(RESULTS_BLOCK, overwrite=True)
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
