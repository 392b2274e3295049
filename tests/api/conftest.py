"""An API client bound to the test's transaction: requests see the test's rows and roll back with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from prefect.client.orchestration import PrefectClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agentflow.ai.wiring import OrgSettingsPolicies, VaultCredentials
from agentflow.audit.capture import write_entry
from agentflow.audit.context import paused as audit_paused
from agentflow.config import Settings
from agentflow.egress import EgressPolicy
from agentflow.embedded import prefect as embedded_prefect
from agentflow.engine.control.dispatch import Dispatcher
from agentflow.engine.control.hub import EventHub
from agentflow.engine.gateway import PrefectGateway
from agentflow.errors import AgentFlowError
from agentflow.kit.fastread import ConnectionReader
from agentflow.knowledge.dispatch import IngestionDispatcher
from agentflow.providers.router import Router
from agentflow.secrets.store import SecretStore
from api.app import create_app
from api.deps import get_session
from tests.conftest import prefect_auth, prefect_url
from tests.factories import Member, create_org_with_owner

API_TEST_POOL = "api-tests"


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine, session: AsyncSession) -> AsyncIterator[FastAPI]:
    app = create_app(settings, configure_logs=False)

    async def test_session() -> AsyncIterator[AsyncSession]:
        # Same commit/rollback contract as production, on savepoints of the test transaction.
        # Committing first keeps the test's own setup out of the request's savepoint, so a
        # request that rolls back undoes only its own writes.
        with audit_paused():  # the test's setup is not the request's change
            await session.commit()
        session.expire_all()  # a production request starts with an empty identity map
        try:
            yield session
        except AgentFlowError as exc:
            await (session.commit() if exc.persist_changes else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await write_entry(session)
            await session.commit()

    app.dependency_overrides[get_session] = test_session
    app.state.engine = engine
    # Hot-path reads run on the test's own connection, so they see the test's uncommitted rows.
    raw = await (await session.connection()).get_raw_connection()
    app.state.reader = ConnectionReader(raw.driver_connection)
    # Not started: these tests' rows are never committed, so no NOTIFY would reach it; streams of an ended
    # execution replay and end, which is all they are driven to here (tests/engine goes live).
    app.state.events = EventHub(settings.database_url)
    async with (
        httpx.AsyncClient() as http,
        PrefectClient(api=prefect_url(), auth_string=prefect_auth()) as prefect,
    ):
        app.state.http = http
        # A real Prefect server, on a pool no worker serves: runs are created and stay scheduled.
        app.state.gateway = PrefectGateway(prefect, work_pool=API_TEST_POOL)
        app.state.dispatcher = Dispatcher(app.state.gateway, app.state.reader)
        app.state.ingestion = IngestionDispatcher(app.state.gateway, app.state.reader)
        app.state.router = Router(
            VaultCredentials(SecretStore.from_settings(settings)),
            egress=EgressPolicy.from_settings(settings),
            policies=OrgSettingsPolicies(app.state.reader),
        )
        yield app
        await app.state.router.aclose()


@pytest.fixture(scope="session", autouse=True)
def api_test_pool() -> None:
    asyncio.run(
        embedded_prefect.ensure_work_pool(prefect_url(), auth_string=prefect_auth(), name=API_TEST_POOL)
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
        yield client


@pytest.fixture
async def owner(session: AsyncSession, settings: Settings) -> Member:
    return await create_org_with_owner(session, settings, name="Org A")
