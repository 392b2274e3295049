"""The audit log: what an entry holds, filters and cursor, CSV export, tenant isolation, secrets never
recorded, failed requests leave nothing, and the table refuses to be rewritten."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.models import APIKey, AuditLog, Organization
from tests.factories import Member, create_api_key, create_org_with_owner

LOGS = "/org/audit-logs"
ITEM_KEYS = {
    "id",
    "action",
    "actor",
    "resource_type",
    "resource_id",
    "ip",
    "user_agent",
    "request_id",
    "details",
    "created_at",
}


async def _count(session: AsyncSession, org_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(AuditLog).where(AuditLog.org_id == org_id)
    return int((await session.execute(stmt)).scalar_one())


async def _team(client: httpx.AsyncClient, member: Member, name: str) -> str:
    response = await client.post("/teams", json={"name": name}, headers=member.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_an_entry_names_the_actor_the_resource_and_the_change(
    client: httpx.AsyncClient, owner: Member
) -> None:
    team_id = await _team(client, owner, "Support")
    renamed = await client.put(
        f"/teams/{team_id}",
        json={"name": "Customer Support"},
        headers={**owner.headers, "User-Agent": "pytest-audit", "X-Request-ID": "req-audit-1"},
    )
    assert renamed.status_code == 200
    page = (await client.get(LOGS, headers=owner.headers)).json()
    updated, created = page["items"]  # newest first
    assert set(updated) == ITEM_KEYS
    assert updated["action"] == "team.updated" and created["action"] == "team.created"
    assert updated["actor"] == {"type": "user", "id": str(owner.user_id), "email": owner.email}
    assert (updated["resource_type"], updated["resource_id"]) == ("team", team_id)
    assert created["resource_id"] == team_id  # a POST to the collection names the row it created
    assert (updated["user_agent"], updated["request_id"], updated["ip"]) == (
        "pytest-audit",
        "req-audit-1",
        "127.0.0.1",
    )
    (change,) = updated["details"]["changes"]
    assert change["op"] == "updated" and change["id"] == team_id
    assert change["fields"] == {"name": {"old": "Support", "new": "Customer Support"}}


async def test_an_api_keys_entry_names_the_key_and_its_creator(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    raw = await create_api_key(session, owner, scopes=["teams:read", "teams:write"])
    key_id = (await session.execute(select(APIKey.id).where(APIKey.org_id == owner.org_id))).scalar_one()
    response = await client.post("/teams", json={"name": "Bots"}, headers={"X-API-Key": raw})
    assert response.status_code == 201, response.text
    (entry,) = (await client.get(LOGS, headers=owner.headers)).json()["items"]
    assert entry["actor"] == {"type": "api_key", "id": str(key_id), "email": owner.email}


async def test_filters_and_the_cursor(client: httpx.AsyncClient, owner: Member, settings: Settings) -> None:
    ids = [await _team(client, owner, f"team-{n}") for n in range(5)]
    await client.delete(f"/teams/{ids[0]}", headers=owner.headers)

    async def items(**params: str) -> list[dict[str, object]]:
        response = await client.get(LOGS, params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    assert len(await items(action="team.created")) == 5
    assert [e["action"] for e in await items(resource_id=ids[0])] == ["team.deleted", "team.created"]
    assert len(await items(resource_type="team", actor=str(owner.user_id))) == 6
    assert await items(actor=str(uuid.uuid4())) == []
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert await items(**{"from": future}) == []
    assert len(await items(**{"from": past, "to": future})) == 6
    assert await items(to=past) == []

    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(LOGS, params=params, headers=owner.headers)).json()
        seen += [entry["id"] for entry in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6
    assert seen == [entry["id"] for entry in await items()]  # the same order, newest first


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 400, "invalid_date_range"),
        ({"from": "yesterday"}, 422, None),
        ({"actor": "not-a-uuid"}, 422, None),
        ({"action": "a" * 81}, 422, None),
        ({"resource_id": "x" * 201}, 422, None),
        ({"cursor": "garbage"}, 400, "invalid_cursor"),
        ({"limit": "1000"}, 422, None),
    ],
)
async def test_malformed_filters_are_a_clear_4xx(
    client: httpx.AsyncClient, owner: Member, params: dict[str, str], status: int, code: str | None
) -> None:
    paged = bool({"limit", "cursor"} & set(params))  # the export takes no paging parameters
    for path in (LOGS,) if paged else (LOGS, f"{LOGS}/export"):
        response = await client.get(path, params=params, headers=owner.headers)
        assert response.status_code == status, f"{path} {params}: {response.text}"
        if code:
            assert response.json()["error"]["code"] == code


async def test_csv_export_streams_every_matching_entry_injection_safe(
    client: httpx.AsyncClient, owner: Member
) -> None:
    hostile = {**owner.headers, "User-Agent": '=HYPERLINK("http://evil.example","x")'}
    created = await client.post("/teams", json={"name": "@SUM(1+1)"}, headers=hostile)
    assert created.status_code == 201
    await _team(client, owner, "Plain")
    response = await client.get(f"{LOGS}/export", params={"format": "csv"}, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-log-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["action"] for row in rows] == ["team.created", "team.created"]
    assert rows[1]["user_agent"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[1]["actor_email"] == owner.email
    details = json.loads(rows[1]["details"])
    assert details["changes"][0]["fields"]["name"] == "@SUM(1+1)"  # inside JSON: not a cell of its own
    only_plain = await client.get(
        f"{LOGS}/export", params={"resource_id": rows[0]["resource_id"]}, headers=owner.headers
    )
    assert len(list(csv.DictReader(io.StringIO(only_plain.text)))) == 1
    assert (await client.get(f"{LOGS}/export?format=xml", headers=owner.headers)).status_code == 422


async def test_the_export_reads_in_batches_past_one_page(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    from agentflow.audit import service

    session.add_all(
        AuditLog(org_id=owner.org_id, actor_type="system", action="bulk.entry", details={"n": n})
        for n in range(service.EXPORT_BATCH * 2 + 7)
    )
    await session.flush()
    response = await client.get(f"{LOGS}/export", headers=owner.headers)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == service.EXPORT_BATCH * 2 + 7
    assert len({row["id"] for row in rows}) == len(rows)


async def test_another_orgs_entries_are_never_visible(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    other = await create_org_with_owner(session, settings, name="Org B Secret Name")
    theirs = await _team(client, other, "Their team")
    await _team(client, owner, "Our team")
    ours = (await client.get(LOGS, headers=owner.headers)).json()["items"]
    assert [entry["resource_id"] for entry in ours] != [theirs] and len(ours) == 1
    filtered = await client.get(LOGS, params={"resource_id": theirs}, headers=owner.headers)
    assert filtered.json()["items"] == []
    export = await client.get(f"{LOGS}/export", headers=owner.headers)
    assert theirs not in export.text and "Their team" not in export.text
    assert other.email not in export.text
    their_view = (await client.get(LOGS, headers=other.headers)).json()["items"]
    assert [entry["resource_id"] for entry in their_view] == [theirs]


async def test_failed_requests_leave_no_entry(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    await _team(client, owner, "Support")
    assert await _count(session, owner.org_id) == 1
    taken = await client.post("/teams", json={"name": "Support"}, headers=owner.headers)
    missing = await client.put(f"/teams/{uuid.uuid4()}", json={"name": "x"}, headers=owner.headers)
    malformed = await client.post("/teams", json={"name": ""}, headers=owner.headers)
    unauthenticated = await client.post("/teams", json={"name": "Nope"})
    assert [r.status_code for r in (taken, missing, malformed, unauthenticated)] == [409, 404, 422, 401]
    assert await _count(session, owner.org_id) == 1


async def test_secrets_never_reach_an_entry(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    values = ["s3cret-value-never-logged-1", "s3cret-value-never-logged-2", "sk-provider-never-logged"]
    headers = owner.headers
    created = await client.post(
        "/org/secrets", json={"name": "STRIPE_KEY", "value": values[0]}, headers=headers
    )
    assert created.status_code == 201, created.text
    rotated = await client.put("/org/secrets/STRIPE_KEY", json={"value": values[1]}, headers=headers)
    assert rotated.status_code == 200, rotated.text
    provider = await client.post(
        "/org/providers", json={"provider": "openai", "api_key": values[2]}, headers=headers
    )
    assert provider.status_code == 200, provider.text
    key = await client.post("/org/api-keys", json={"name": "CI"}, headers=headers)
    assert key.status_code == 201, key.text
    raw_key = key.json()["key"]
    stmt = select(APIKey.key_hash).where(APIKey.org_id == owner.org_id)
    key_hash = (await session.execute(stmt)).scalar_one()

    entries = (await client.get(LOGS, headers=headers)).json()["items"]
    assert [e["action"] for e in entries] == [
        "api_key.created",
        "provider.updated",
        "secret.updated",
        "secret.created",
    ]
    dumped = json.dumps(entries) + (await client.get(f"{LOGS}/export", headers=headers)).text
    for secret in [*values, raw_key, key_hash]:
        assert secret not in dumped
    for column in ("key_hash", "vault_path", "password_hash", "value"):
        assert f'"{column}"' not in dumped
    secret_entry = entries[2]
    assert secret_entry["resource_id"] == "STRIPE_KEY"
    assert secret_entry["details"]["changes"][0]["fields"]["version"] == {"old": 1, "new": 2}


async def test_audit_rows_cannot_be_updated_deleted_or_truncated(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    await _team(client, owner, "Support")
    for statement in (
        update(AuditLog).where(AuditLog.org_id == owner.org_id).values(action="team.nothing"),
        delete(AuditLog).where(AuditLog.org_id == owner.org_id),
        text("TRUNCATE audit_logs"),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(statement)
    assert await _count(session, owner.org_id) == 1
    # The one way entries go: with their organization.
    await session.execute(delete(Organization).where(Organization.id == owner.org_id))
    assert await _count(session, owner.org_id) == 0


async def test_signup_is_recorded_as_the_new_org_created_by_the_system(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    email = f"founder-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/auth/signup", json={"email": email, "password": "correct horse battery", "org_name": "Newco"}
    )
    assert response.status_code == 201, response.text
    org_id = (await session.execute(select(Organization.id).where(Organization.name == "Newco"))).scalar_one()
    (entry,) = (await session.execute(select(AuditLog).where(AuditLog.org_id == org_id))).scalars().all()
    assert (entry.action, entry.actor_type, entry.resource_type) == ("org.created", "system", "org")
    assert entry.resource_id == str(org_id)
    assert "correct horse battery" not in json.dumps(entry.details)
    assert "password_hash" not in json.dumps(entry.details)


async def test_viewers_and_editors_cannot_read_the_log(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    from agentflow.rbac import Role
    from tests.factories import add_member

    for role in (Role.viewer, Role.editor):
        member = await add_member(session, settings, owner.org_id, role)
        for path in (LOGS, f"{LOGS}/export"):
            assert (await client.get(path, headers=member.headers)).status_code == 403
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    assert (await client.get(LOGS, headers=admin.headers)).status_code == 200
