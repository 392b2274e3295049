"""A real engine for tests: a Prefect server, the in-process AgentFlow worker, and the API served over HTTP
(WebSockets included) on a committed database. All engine tests share one xdist group, so one pytest worker
starts this once."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from agentflow.config import Settings
from agentflow.embedded import prefect as embedded_prefect
from agentflow.embedded.ports import free_port
from agentflow.embedded.process import ManagedProcess
from agentflow.migrations import upgrade
from api.app import create_app
from tests.conftest import _recreate_database, admin_url, coverage_env, prefect_auth, prefect_url, vault_info
from tests.factories import PASSWORD
from tests.support.mailbox import Mailbox, smtp_server
from tests.support.outside import Outside, outside_server

pytestmark = pytest.mark.xdist_group("engine")


@dataclass
class EngineStack:
    data_dir: Path
    database_url: str
    prefect_url: str
    pool: str
    worker: ManagedProcess
    api_port: int
    mailbox: Mailbox  # the SMTP server the worker mails notifications to
    api_url: str = ""

    def restart_worker(self) -> None:
        self.worker.stop()
        self.worker.start()


def _wait_worker_ready(worker: ManagedProcess, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.alive(), f"worker exited:\n{worker.tail(40)}"
        if "ready (pool" in worker.tail(200):
            return
        time.sleep(0.1)
    raise AssertionError(f"worker not ready:\n{worker.tail(40)}")


@pytest.fixture(scope="session")
def engine_stack(worker_id: str) -> Iterator[EngineStack]:
    data_dir = Path(tempfile.mkdtemp(prefix="agentflow-engine-"))
    name = f"agentflow_engine_{worker_id}"
    asyncio.run(_recreate_database(name))
    database_url = admin_url(name)
    upgrade(database_url)
    prefect = prefect_url()  # the session's Prefect server: every pytest worker gets a pool of its own on it
    pool = f"agentflow-{worker_id}"
    api_port = free_port()  # known to the worker's egress guard before the API starts on it
    worker: ManagedProcess | None = None
    smtp = smtp_server()
    mailbox = smtp.__enter__()
    try:
        asyncio.run(
            embedded_prefect.ensure_work_pool(
                prefect, auth_string=prefect_auth(), name=pool, results_dir=data_dir / "results"
            )
        )
        worker = embedded_prefect.worker_process(
            data_dir,
            pool=pool,
            api_url=prefect,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "PREFECT_"))},
                "AGENTFLOW_DATABASE_URL": database_url,
                "AGENTFLOW_DATA_DIR": str(data_dir),  # knowledge files: shared with the API, as in `up`
                "AGENTFLOW_LOG_LEVEL": "INFO",
                "PREFECT_API_AUTH_STRING": prefect_auth(),
                # The loopback "outside world" tests call is a private destination the operator allows;
                # the stack's own services on loopback stay refused whatever the allowlist says.
                "AGENTFLOW_EGRESS_ALLOWLIST": "127.0.0.0/8",
                "AGENTFLOW_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
                # Notification emails (approval requests) go to a real SMTP server on loopback.
                "AGENTFLOW_SMTP_HOST": "127.0.0.1",
                "AGENTFLOW_SMTP_PORT": str(mailbox.port),
                "AGENTFLOW_SMTP_STARTTLS": "false",
                # The worker's own read-only AppRole, as `agentflow up` hands it over.
                "VAULT_ADDR": vault_info()["addr"],
                "VAULT_ROLE_ID": vault_info()["worker"]["role_id"],
                "VAULT_SECRET_ID": vault_info()["worker"]["secret_id"],
                **coverage_env(),  # the worker side of the engine runs only in this process
            },
            name="test-worker",
        )
        worker.start()
        _wait_worker_ready(worker)
        yield EngineStack(data_dir, database_url, prefect, pool, worker, api_port, mailbox)
    finally:
        if worker is not None:
            worker.stop()
        smtp.__exit__(None, None, None)
        if not os.environ.get("AGENTFLOW_KEEP_TEST_DATA"):  # keep logs to debug a failure
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def engine_api(engine_stack: EngineStack) -> Iterator[EngineStack]:
    """The API on a real port (the test client and WebSockets reach it like a browser would)."""
    vault = vault_info()
    settings = Settings(
        database_url=engine_stack.database_url,
        data_dir=engine_stack.data_dir,
        work_pool=engine_stack.pool,
        vault_addr=vault["addr"],
        vault_role_id=vault["api"]["role_id"],
        vault_secret_id=vault["api"]["secret_id"],
        PREFECT_API_URL=engine_stack.prefect_url,  # type: ignore[call-arg]
        PREFECT_API_AUTH_STRING=prefect_auth(),
        egress_allowlist="127.0.0.0/8",
        jwt_secret="engine-test-secret-" + "y" * 40,  # type: ignore[arg-type]
        public_url=f"http://127.0.0.1:{engine_stack.api_port}",
        log_json=True,
        login_max_failures=1000,
        # Open streams check their caller's access again this often (60 s in production): every stream test
        # runs through many re-checks, and tests/engine/test_stream_access.py sees revocations end streams.
        stream_recheck_seconds=0.1,
    )
    app = create_app(settings, configure_logs=False)
    port = engine_stack.api_port
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    engine_stack.api_url = f"http://127.0.0.1:{port}/api/v1"
    yield engine_stack
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def outside() -> Iterator[Outside]:
    """A loopback "outside world" the test's agents call, scripted per test."""
    with outside_server() as server:
        yield server


@dataclass
class Tenant:
    client: httpx.AsyncClient
    org_id: str
    email: str = ""
    user_id: str = ""

    async def agent(
        self, definition: dict[str, Any], *, publish: bool = True, name: str = "agent"
    ) -> dict[str, Any]:
        created = await self.client.post("/agents", json={"name": name, "definition": definition})
        assert created.status_code == 201, created.text
        agent = created.json()
        if publish:
            published = await self.client.post(f"/agents/{agent['id']}/publish", json={"message": "v1"})
            assert published.status_code == 201, published.text
            agent = (await self.client.get(f"/agents/{agent['id']}")).json()
        return dict(agent)

    async def run(self, agent_id: str, input: Any = None, **headers: str) -> str:
        response = await self.client.post(
            f"/agents/{agent_id}/execute", json={"input": input}, headers=headers
        )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    async def wait(self, execution_id: str, *statuses: str, within: float = 60) -> dict[str, Any]:
        wanted = statuses or ("completed", "failed", "cancelled", "timed_out")
        deadline = time.monotonic() + within
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            body = (await self.client.get(f"/executions/{execution_id}")).json()
            if body["status"] in wanted:
                return body
            await asyncio.sleep(0.1)
        raise AssertionError(f"execution {execution_id} still {body.get('status')} after {within}s: {body}")

    async def steps(self, execution_id: str) -> dict[str, dict[str, Any]]:
        response = await self.client.get(f"/executions/{execution_id}/steps")
        return {step["step_key"]: step for step in response.json()}


@pytest.fixture
async def tenant(engine_api: EngineStack) -> AsyncIterator[Tenant]:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    async with httpx.AsyncClient(base_url=engine_api.api_url, timeout=30) as client:
        signup = await client.post(
            "/auth/signup",
            json={
                "email": email,
                "password": PASSWORD,
                "org_name": "Engine",
            },
        )
        assert signup.status_code == 201, signup.text
        client.headers["Authorization"] = f"Bearer {signup.json()['access_token']}"
        yield Tenant(
            client=client,
            org_id=signup.json()["org"]["id"],
            email=email,
            user_id=signup.json()["user"]["id"],
        )


def node(node_id: str, node_type: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "name": node_id, "config": config}


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    return {"source": source, "target": target, **({"source_handle": handle} if handle else {})}


__all__ = ["EngineStack", "Tenant", "edge", "node", "os", "sys"]
