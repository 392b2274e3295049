"""A stack of its own for failure tests: two workers on their own pool, their own database, their own OpenBao,
and proxies in front of Postgres and Prefect. Workers can be killed, Vault sealed, Postgres or Prefect taken
away, without disturbing the session's engine stack (which shares only the Prefect server, behind a proxy)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from prefect.client.orchestration import PrefectClient
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agentflow.config import Settings
from agentflow.embedded import prefect as embedded_prefect
from agentflow.embedded.openbao import EmbeddedOpenBao
from agentflow.embedded.ports import free_port
from agentflow.embedded.process import ManagedProcess
from agentflow.migrations import upgrade
from api.app import create_app
from tests.conftest import _pg, _recreate_database, admin_url, prefect_auth, prefect_url
from tests.engine.conftest import Tenant
from tests.factories import PASSWORD
from tests.support.outside import Outside, outside_server
from tests.support.proxy import TcpProxy

pytestmark = pytest.mark.xdist_group("engine")

# Short heartbeats, so a dead worker is found in seconds: the bound is 3 heartbeats (heartbeat.py).
HEARTBEAT_SECONDS = 3
OUTAGE_RETRY_SECONDS = 15
WORKERS = ("rel-a", "rel-b")


@dataclass
class ReliabilityStack:
    data_dir: Path
    database_url: str
    pool: str
    bao: EmbeddedOpenBao
    bao_process: ManagedProcess
    prefect: TcpProxy  # what the API and the workers know as Prefect
    postgres: TcpProxy  # what the workers know as Postgres (the API and the tests connect directly)
    workers: dict[str, ManagedProcess] = field(default_factory=dict)
    api_url: str = ""

    @property
    def dead_worker_bound(self) -> float:
        """How long a killed worker's runs may stay unreaped: 3 heartbeats, a reap interval, a state grace."""
        return 3 * HEARTBEAT_SECONDS + 2 * max(2.0, HEARTBEAT_SECONDS) + 3 * HEARTBEAT_SECONDS

    def prefect_client(self) -> PrefectClient:
        return PrefectClient(api=prefect_url(), auth_string=prefect_auth())

    def start_worker(self, name: str) -> None:
        worker = self.workers[name]
        log = worker.log_path
        before = log.read_text(errors="replace").count("ready (pool") if log.exists() else 0
        worker.start()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert worker.alive(), f"worker {name} exited:\n{worker.tail(40)}"
            if log.exists() and log.read_text(errors="replace").count("ready (pool") > before:
                return
            time.sleep(0.1)
        raise AssertionError(f"worker {name} not ready:\n{worker.tail(40)}")

    def ensure_workers(self) -> None:
        for name, worker in self.workers.items():
            if not worker.alive():
                worker.stop()
                self.start_worker(name)


def _worker(stack: ReliabilityStack, name: str, api_port: int) -> ManagedProcess:
    credentials = stack.bao.credentials()["worker"]
    database = urlsplit(stack.database_url).path.lstrip("/")
    through_proxy = (
        f"postgresql+asyncpg://postgres:{_pg()['password']}@127.0.0.1:{stack.postgres.port}/{database}"
    )
    return embedded_prefect.worker_process(
        stack.data_dir,
        pool=stack.pool,
        api_url=f"http://127.0.0.1:{stack.prefect.port}/api",
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "PREFECT_"))},
            "AGENTFLOW_DATABASE_URL": through_proxy,
            "AGENTFLOW_LOG_LEVEL": "INFO",
            "AGENTFLOW_OUTAGE_RETRY_SECONDS": str(OUTAGE_RETRY_SECONDS),
            "PREFECT_API_AUTH_STRING": prefect_auth(),
            "PREFECT_WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
            # A call to an unreachable Prefect fails in seconds, not after a minute of client retries.
            "PREFECT_CLIENT_MAX_RETRIES": "1",
            "AGENTFLOW_EGRESS_ALLOWLIST": "127.0.0.0/8",
            "AGENTFLOW_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
            "VAULT_ADDR": stack.bao.addr,
            "VAULT_ROLE_ID": credentials.role_id,
            "VAULT_SECRET_ID": credentials.secret_id,
            "AGENTFLOW_VAULT_CACHE_SECONDS": "0",
            # Checkpoints of executions that did not complete go at the next sweep (retention test).
            "AGENTFLOW_CHECKPOINT_RETENTION_DAYS": "0",
        },
        name=name,
    )


@pytest.fixture(scope="package")
def reliability_stack(worker_id: str) -> Iterator[ReliabilityStack]:
    data_dir = Path(tempfile.mkdtemp(prefix="agentflow-reliability-"))
    name = f"agentflow_reliability_{worker_id}"
    asyncio.run(_recreate_database(name))
    database_url = admin_url(name)
    upgrade(database_url)
    bao = EmbeddedOpenBao(data_dir, port=free_port())
    bao_process = bao.process()
    bao_process.start()
    prefect_target = urlsplit(prefect_url())
    prefect = TcpProxy("127.0.0.1", int(prefect_target.port or 80))
    postgres = TcpProxy("127.0.0.1", int(_pg()["port"]))  # type: ignore[call-overload]
    stack = ReliabilityStack(
        data_dir, database_url, f"agentflow-rel-{worker_id}", bao, bao_process, prefect, postgres
    )
    api_port = free_port()
    try:
        bao.bootstrap(process=bao_process)
        prefect.start()
        postgres.start()
        asyncio.run(
            embedded_prefect.ensure_work_pool(
                prefect_url(), auth_string=prefect_auth(), name=stack.pool, results_dir=data_dir / "results"
            )
        )
        for worker_name in WORKERS:
            stack.workers[worker_name] = _worker(stack, worker_name, api_port)
            stack.start_worker(worker_name)
        with _api(stack, api_port):
            yield stack
    finally:
        for worker in stack.workers.values():
            worker.stop()
        prefect.stop()
        postgres.stop()
        bao_process.stop()
        if not os.environ.get("AGENTFLOW_KEEP_TEST_DATA"):
            shutil.rmtree(data_dir, ignore_errors=True)


class _api:
    """The API on a real port, pointed at the stack (Prefect through its proxy)."""

    def __init__(self, stack: ReliabilityStack, port: int) -> None:
        credentials = stack.bao.credentials()["api"]
        settings = Settings(
            database_url=stack.database_url,
            work_pool=stack.pool,
            vault_addr=stack.bao.addr,
            vault_role_id=credentials.role_id,
            vault_secret_id=SecretStr(credentials.secret_id),
            PREFECT_API_URL=f"http://127.0.0.1:{stack.prefect.port}/api",  # type: ignore[call-arg]
            PREFECT_API_AUTH_STRING=prefect_auth(),
            egress_allowlist="127.0.0.0/8",
            jwt_secret="reliability-test-secret-" + "z" * 40,  # type: ignore[arg-type]
            public_url=f"http://127.0.0.1:{port}",
            log_json=True,
            login_max_failures=1000,
        )
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(settings, configure_logs=False), host="127.0.0.1", port=port)
        )
        self.stack, self.port = stack, port

    def __enter__(self) -> None:
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        self.stack.api_url = f"http://127.0.0.1:{self.port}/api/v1"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def stack(reliability_stack: ReliabilityStack) -> Iterator[ReliabilityStack]:
    """The stack as every test expects it: both workers up, Prefect and Postgres reachable, Vault unsealed."""
    reliability_stack.prefect.up()
    reliability_stack.postgres.up()
    if reliability_stack.bao.root_client().sys.is_sealed():
        reliability_stack.bao.unseal()
    reliability_stack.ensure_workers()
    yield reliability_stack
    reliability_stack.prefect.up()
    reliability_stack.postgres.up()


@pytest.fixture
def outside() -> Iterator[Outside]:
    with outside_server() as server:
        yield server


@pytest.fixture
async def tenant(stack: ReliabilityStack) -> AsyncIterator[Tenant]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as client:
        signup = await client.post(
            "/auth/signup",
            json={"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD, "org_name": "Rel"},
        )
        assert signup.status_code == 201, signup.text
        client.headers["Authorization"] = f"Bearer {signup.json()['access_token']}"
        yield Tenant(client=client, org_id=signup.json()["org"]["id"])


class Gate:
    """An outside route that holds each request open until released: the run is provably mid-step."""

    def __init__(self, reply: Callable[[Request], dict[str, Any]] | None = None) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.reply = reply or (lambda request: {"held": True})

    async def handler(self, request: Request, body: Any) -> Response:
        self.arrived.set()
        while not self.release.is_set():  # noqa: ASYNC110 (the test thread releases it)
            await asyncio.sleep(0.05)
        return JSONResponse(self.reply(request))

    async def wait_arrived(self, within: float = 60) -> None:
        assert await asyncio.to_thread(self.arrived.wait, within), "the step never reached the outside"


async def holder_of(stack: ReliabilityStack, execution: dict[str, Any]) -> str:
    """The worker whose process runs the execution (the flow run's worker label)."""
    async with stack.prefect_client() as prefect:
        flow_run = await prefect.read_flow_run(uuid.UUID(execution["prefect_flow_run_id"]))
    name = (flow_run.labels or {}).get("prefect.worker.name")
    assert name in stack.workers, flow_run.labels
    return str(name)


def kill(stack: ReliabilityStack, name: str) -> None:
    """SIGKILL the worker's whole process group: no chance to clean up, no restart."""
    worker = stack.workers[name]
    assert worker.pid is not None and worker.alive()
    os.killpg(worker.pid, signal.SIGKILL)
    worker.stop()
    assert not worker.alive()


def worker_logs(stack: ReliabilityStack) -> str:
    return "\n".join(worker.tail(2000) for worker in stack.workers.values())
