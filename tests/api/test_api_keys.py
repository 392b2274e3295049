"""API keys: shown once, stored hashed, scoped, usable by either header, revoked at once."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.kit.crypto import digest
from agentflow.models import APIKey
from agentflow.rbac import Role
from tests.factories import Member, add_member


async def create_key(client: httpx.AsyncClient, member: Member, **body: object) -> httpx.Response:
    return await client.post("/org/api-keys", json={"name": "ci", **body}, headers=member.headers)


async def test_create_use_list_revoke(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    created = await create_key(client, owner, scopes=["org:read", "members:read"])
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("af_") and len(key) > 40
    assert created.json()["prefix"] == key[:11]

    stored = (await session.execute(select(APIKey).where(APIKey.id == created.json()["id"]))).scalar_one()
    assert stored.key_hash == digest(key) and key not in stored.key_hash

    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        me = await client.get("/auth/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["auth_method"] == "api_key"
        assert me.json()["org"]["id"] == str(owner.org_id)
        assert sorted(me.json()["permissions"]) == ["members:read", "org:read"]
    assert (await client.get("/org/members", headers={"X-API-Key": key})).status_code == 200
    # Scopes limit the key even though its creator is an owner.
    assert (await client.put("/org", json={"name": "x"}, headers={"X-API-Key": key})).status_code == 403

    listed = await client.get("/org/api-keys", headers=owner.headers)
    item = next(i for i in listed.json()["items"] if i["id"] == created.json()["id"])
    assert "key" not in item and item["prefix"] == key[:11]
    assert item["last_used_at"] is not None
    assert key not in listed.text

    revoked = await client.delete(f"/org/api-keys/{item['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    after = await client.get("/auth/me", headers={"X-API-Key": key})
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "invalid_api_key"
    assert (await client.delete(f"/org/api-keys/{item['id']}", headers=owner.headers)).status_code == 404


async def test_default_scopes_are_the_creators_permissions(client: httpx.AsyncClient, owner: Member) -> None:
    created = await create_key(client, owner)
    me = await client.get("/auth/me", headers={"X-API-Key": created.json()["key"]})
    assert "billing:manage" in me.json()["permissions"]
    assert me.json()["role"] == "owner"


async def test_cannot_grant_scopes_beyond_own_role(client: httpx.AsyncClient, owner: Member) -> None:
    # A key may create keys only within its own scopes: a key-writing key cannot mint a secrets key.
    narrow = await create_key(client, owner, scopes=["api_keys:read", "api_keys:write"])
    assert narrow.status_code == 201, narrow.text
    refused = await client.post(
        "/org/api-keys",
        json={"name": "wider", "scopes": ["api_keys:read", "secrets:write"]},
        headers={"X-API-Key": narrow.json()["key"]},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"scopes": ["secrets:write"]}


async def test_unknown_scope_is_422(client: httpx.AsyncClient, owner: Member) -> None:
    response = await create_key(client, owner, scopes=["root:everything"])
    assert response.status_code == 422
    error = response.json()["error"]
    # A sentence for people names the field; the details keep its path for programs.
    assert error["message"].startswith("Scopes, item 1 must be one of: ")
    assert any(d["loc"][-2:] == ["scopes", 0] for d in error["details"]), error["details"]


async def test_key_follows_its_creators_membership(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    key = (await create_key(client, admin)).json()["key"]
    assert (await client.put("/org", json={"name": "Renamed"}, headers={"X-API-Key": key})).status_code == 200

    demoted = await client.put(
        f"/org/members/{admin.user_id}/role", json={"role": "viewer"}, headers=owner.headers
    )
    assert demoted.status_code == 200
    # The key never exceeds its creator's current role.
    assert (await client.put("/org", json={"name": "Again"}, headers={"X-API-Key": key})).status_code == 403

    await client.delete(f"/org/members/{admin.user_id}", headers=owner.headers)
    assert (await client.get("/auth/me", headers={"X-API-Key": key})).status_code == 401


async def test_expired_key_is_401(client: httpx.AsyncClient, session: AsyncSession, owner: Member) -> None:
    from datetime import UTC, datetime, timedelta

    created = (await create_key(client, owner, expires_in_days=1)).json()
    key_row = await session.get(APIKey, created["id"])
    assert key_row is not None
    key_row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await session.flush()
    response = await client.get("/auth/me", headers={"X-API-Key": created["key"]})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_expired"
