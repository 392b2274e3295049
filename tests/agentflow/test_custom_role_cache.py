"""Custom roles against a real Postgres and auth cache: a committed edit of a role's permissions, or a member
given another custom role, reaches every process's cache through NOTIFY (the triggers of migration 0015)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agentflow.auth.cache import AuthCache, AuthInvalidationListener
from agentflow.auth.subject import authenticate_api_key, authenticate_token
from agentflow.config import Settings
from agentflow.kit.crypto import digest
from agentflow.kit.fastread import PoolReader
from agentflow.models import CustomRole
from agentflow.rbac import Permission, Role
from tests.factories import Member, add_custom_role_member, create_api_key, create_org_with_owner

DEADLINE = 10.0  # "until it happens", bounded so a broken invalidation fails instead of hanging


async def eventually(check: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not check():  # noqa: ASYNC110 - the state changes in asyncpg callbacks, not on an Event
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), DEADLINE)


@pytest.fixture
async def reader(settings: Settings) -> AsyncIterator[PoolReader]:
    reader = await PoolReader.connect(settings.database_url, max_size=2)
    yield reader
    await reader.close()


@pytest.fixture
async def cache(settings: Settings) -> AsyncIterator[AuthCache]:
    cache = AuthCache(ttl=60)
    listener = AuthInvalidationListener(settings.database_url, cache, check_every=0.05)
    await listener.start()
    assert cache.enabled
    yield cache
    await listener.stop()


async def committed_member(engine: AsyncEngine, settings: Settings) -> tuple[Member, str]:
    """A member holding a custom role ({agents:read}) and an API key they created, committed."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        owner = await create_org_with_owner(session, settings, name=f"Roles {uuid.uuid4().hex[:6]}")
        member = await add_custom_role_member(session, settings, owner.org_id, {Permission.agents_read})
        key = await create_api_key(session, member)
        await session.commit()
    return member, key


async def write(engine: AsyncEngine, statement: str, **params: object) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(statement), params)


async def test_a_committed_permission_edit_reaches_tokens_and_keys(
    engine: AsyncEngine, reader: PoolReader, settings: Settings, cache: AuthCache
) -> None:
    member, key = await committed_member(engine, settings)
    token_subject = await authenticate_token(reader, settings, member.token, cache)
    assert token_subject.role == member.role and token_subject.permissions == {Permission.agents_read}
    assert (await authenticate_api_key(reader, key, cache)).permissions == {Permission.agents_read}
    assert cache.get("member", (member.org_id, member.user_id)) is not None

    await write(
        engine,
        "UPDATE custom_roles SET permissions = ARRAY['executions:read'] WHERE org_id = :o",
        o=member.org_id,
    )
    await eventually(lambda: cache.get("member", (member.org_id, member.user_id)) is None)
    assert (await authenticate_token(reader, settings, member.token, cache)).permissions == {
        Permission.executions_read
    }
    # The key's scopes ({agents:read}, its creator's at creation) now exceed the creator: it holds nothing.
    assert cache.get("api_key", digest(key)) is None
    assert (await authenticate_api_key(reader, key, cache)).permissions == frozenset()


async def test_giving_a_member_another_custom_role_reaches_the_cache(
    engine: AsyncEngine, reader: PoolReader, settings: Settings, cache: AuthCache
) -> None:
    member, _ = await committed_member(engine, settings)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        other = CustomRole(org_id=member.org_id, name="Wider", permissions=["agents:read", "agents:write"])
        session.add(other)
        await session.commit()
        other_id = other.id
    await authenticate_token(reader, settings, member.token, cache)

    await write(
        engine,
        "UPDATE org_memberships SET custom_role_id = :r, role = 'Wider' WHERE org_id = :o AND user_id = :u",
        r=other_id,
        o=member.org_id,
        u=member.user_id,
    )
    await eventually(lambda: cache.get("member", (member.org_id, member.user_id)) is None)
    subject = await authenticate_token(reader, settings, member.token, cache)
    assert subject.role == "Wider"
    assert subject.permissions == {Permission.agents_read, Permission.agents_write}
    assert subject.acting_role is None  # a custom role lacking viewer's permissions acts as no built-in role

    await write(
        engine,
        "UPDATE org_memberships SET custom_role_id = NULL, role = :v WHERE org_id = :o AND user_id = :u",
        v=Role.viewer.value,
        o=member.org_id,
        u=member.user_id,
    )
    await eventually(lambda: cache.get("member", (member.org_id, member.user_id)) is None)
    assert (await authenticate_token(reader, settings, member.token, cache)).acting_role is Role.viewer
