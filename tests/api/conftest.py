"""An API client bound to the test's transaction: requests see the test's rows and roll back with it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agentflow.config import Settings
from agentflow.errors import AgentFlowError
from agentflow.kit.fastread import ConnectionReader
from api.app import create_app
from api.deps import get_session
from tests.factories import Member, create_org_with_owner


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine, session: AsyncSession) -> AsyncIterator[FastAPI]:
    app = create_app(settings, configure_logs=False)

    async def test_session() -> AsyncIterator[AsyncSession]:
        # Same commit/rollback contract as production, on savepoints of the test transaction.
        # Committing first keeps the test's own setup out of the request's savepoint, so a
        # request that rolls back undoes only its own writes.
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
            await session.commit()

    app.dependency_overrides[get_session] = test_session
    app.state.engine = engine
    # Hot-path reads run on the test's own connection, so they see the test's uncommitted rows.
    raw = await (await session.connection()).get_raw_connection()
    app.state.reader = ConnectionReader(raw.driver_connection)
    async with httpx.AsyncClient() as http:
        app.state.http = http
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
        yield client


@pytest.fixture
async def owner(session: AsyncSession, settings: Settings) -> Member:
    return await create_org_with_owner(session, settings, name="Org A")
