"""The auth cache against a real Postgres: committed changes to keys, roles and users reach every cache
through NOTIFY, a dropped listener turns the cache off, and a row read before an invalidation is not kept."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from agentflow.auth.cache import AUTH_CHANNEL, AuthCache, AuthInvalidationListener
from agentflow.auth.subject import authenticate_api_key, authenticate_token
from agentflow.config import Settings
from agentflow.errors import Unauthorized
from agentflow.kit.crypto import digest
from agentflow.kit.fastread import PoolReader
from agentflow.rbac import Permission, Role
from tests.factories import Member, add_member, create_api_key, create_org_with_owner

# Every wait below is "until it happens", bounded so a broken invalidation fails instead of hanging.
DEADLINE = 10.0


async def eventually(check: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not check():  # noqa: ASYNC110 - the state changes in asyncpg callbacks, not on an Event
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), DEADLINE)


def dsn(settings: Settings) -> str:
    url = make_url(settings.database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@dataclass
class Org:
    owner: Member
    admin: Member
    owner_key: str
    admin_key: str


@pytest.fixture
async def org(engine: AsyncEngine, settings: Settings) -> Org:
    """Committed rows (NOTIFY is sent on commit), in this worker's own database."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        owner = await create_org_with_owner(session, settings, name=f"Cache {uuid.uuid4().hex[:6]}")
        admin = await add_member(session, settings, owner.org_id, Role.admin)
        owner_key = await create_api_key(session, owner)
        admin_key = await create_api_key(session, admin)
        await session.commit()
    return Org(owner, admin, owner_key, admin_key)


@pytest.fixture
async def reader(settings: Settings) -> AsyncIterator[PoolReader]:
    reader = await PoolReader.connect(settings.database_url, max_size=2)
    yield reader
    await reader.close()


@pytest.fixture
async def cache(settings: Settings) -> AsyncIterator[tuple[AuthCache, AuthInvalidationListener]]:
    cache = AuthCache(ttl=60)
    listener = AuthInvalidationListener(settings.database_url, cache, check_every=0.05)
    await listener.start()
    assert cache.enabled
    yield cache, listener
    await listener.stop()


async def write(engine: AsyncEngine, statement: str, **params: object) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(statement), params)


Cached = tuple[AuthCache, AuthInvalidationListener]


async def test_a_revoked_key_is_refused_once_the_revocation_commits(
    engine: AsyncEngine, reader: PoolReader, cache: Cached, org: Org
) -> None:
    auth_cache, _ = cache
    subject = await authenticate_api_key(reader, org.owner_key, auth_cache)
    assert subject.org_id == org.owner.org_id
    assert auth_cache.get("api_key", digest(org.owner_key)) is not None

    await write(engine, "UPDATE api_keys SET revoked_at = now() WHERE key_hash = :h", h=digest(org.owner_key))
    await eventually(lambda: auth_cache.get("api_key", digest(org.owner_key)) is None)
    with pytest.raises(Unauthorized, match="revoked"):
        await authenticate_api_key(reader, org.owner_key, auth_cache)


async def test_a_role_change_or_removal_reaches_keys_and_tokens(
    engine: AsyncEngine, reader: PoolReader, settings: Settings, cache: Cached, org: Org
) -> None:
    auth_cache, _ = cache
    assert (await authenticate_api_key(reader, org.admin_key, auth_cache)).role == Role.admin
    assert (await authenticate_token(reader, settings, org.admin.token, auth_cache)).role == Role.admin

    await write(
        engine,
        "UPDATE org_memberships SET role = 'viewer' WHERE org_id = :o AND user_id = :u",
        o=org.admin.org_id,
        u=org.admin.user_id,
    )
    await eventually(lambda: auth_cache.get("api_key", digest(org.admin_key)) is None)
    key_subject = await authenticate_api_key(reader, org.admin_key, auth_cache)
    assert key_subject.role == Role.viewer
    assert Permission.agents_write not in key_subject.permissions
    assert (await authenticate_token(reader, settings, org.admin.token, auth_cache)).role == Role.viewer

    await write(
        engine,
        "DELETE FROM org_memberships WHERE org_id = :o AND user_id = :u",
        o=org.admin.org_id,
        u=org.admin.user_id,
    )
    await eventually(lambda: auth_cache.get("member", (org.admin.org_id, org.admin.user_id)) is None)
    with pytest.raises(Unauthorized):
        await authenticate_token(reader, settings, org.admin.token, auth_cache)
    with pytest.raises(Unauthorized):
        await authenticate_api_key(reader, org.admin_key, auth_cache)


async def test_a_deactivated_user_loses_access(
    engine: AsyncEngine, reader: PoolReader, settings: Settings, cache: Cached, org: Org
) -> None:
    auth_cache, _ = cache
    await authenticate_token(reader, settings, org.owner.token, auth_cache)
    await write(engine, "UPDATE users SET is_active = false WHERE id = :u", u=org.owner.user_id)
    await eventually(lambda: auth_cache.get("member", (org.owner.org_id, org.owner.user_id)) is None)
    with pytest.raises(Unauthorized, match="no longer active"):
        await authenticate_token(reader, settings, org.owner.token, auth_cache)


async def test_recording_a_keys_last_use_does_not_notify(
    engine: AsyncEngine, settings: Settings, org: Org
) -> None:
    """The once-a-minute last_used_at write must not flush every API process's cache."""
    received: list[str] = []
    listener = await asyncpg.connect(dsn(settings))
    try:
        await listener.add_listener(AUTH_CHANNEL, lambda *args: received.append(args[3]))
        h = digest(org.owner_key)
        await write(engine, "UPDATE api_keys SET last_used_at = now() WHERE key_hash = :h", h=h)
        await write(engine, "UPDATE api_keys SET scopes = scopes WHERE key_hash = :h", h=h)
        # Notifications arrive in commit order: once the second is here, a first one would be too.
        await eventually(lambda: len(received) >= 1)
        assert received == ["api_keys"]
    finally:
        await listener.close()


async def test_a_dropped_listener_turns_the_cache_off_until_it_is_back(
    engine: AsyncEngine, reader: PoolReader, cache: Cached, org: Org
) -> None:
    auth_cache, _ = cache
    await authenticate_api_key(reader, org.owner_key, auth_cache)
    await write(
        engine,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'LISTEN%agentflow_auth%'",
    )
    await eventually(lambda: not auth_cache.enabled)
    assert auth_cache.get("api_key", digest(org.owner_key)) is None
    # Lookups still work (from Postgres) while it is off, and the cache comes back by itself.
    await authenticate_api_key(reader, org.owner_key, auth_cache)
    await eventually(lambda: auth_cache.enabled)
    await authenticate_api_key(reader, org.owner_key, auth_cache)
    assert auth_cache.get("api_key", digest(org.owner_key)) is not None


def test_a_row_read_before_an_invalidation_is_not_kept() -> None:
    cache = AuthCache(ttl=60)
    cache.enable()
    generation = cache.generation  # a lookup starts...
    cache.invalidate()  # ...a revocation's notification arrives while it waits for Postgres...
    cache.put("api_key", "h", {"role": "owner"}, generation=generation)  # ...its (old) row is dropped
    assert cache.get("api_key", "h") is None
    cache.put("api_key", "h", {"role": "owner"}, generation=cache.generation)
    assert cache.get("api_key", "h") == {"role": "owner"}


def test_entries_expire_and_a_disabled_cache_answers_nothing() -> None:
    expired = AuthCache(ttl=0)
    expired.enable()
    expired.put("member", "m", {"role": "owner"}, generation=expired.generation)
    assert expired.get("member", "m") is None

    cache = AuthCache(ttl=60)
    cache.put("member", "m", {"role": "owner"}, generation=cache.generation)
    assert cache.get("member", "m") is None  # never enabled: no listener, no cache
    cache.enable()
    cache.put("member", "m", {"role": "owner"}, generation=cache.generation)
    cache.disable()
    assert cache.get("member", "m") is None
