"""Exports through the API: validation and bounds, the file the runner writes (CSV and JSON), the requester's
notification and its link, expiry, and another org's export (404, also with a valid token of ours)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from agentflow.config import Settings
from agentflow.exports.dispatch import ExportDispatcher
from agentflow.exports.runner import expire_files, fail_stuck, run_export
from agentflow.exports.storage import export_store
from agentflow.models import Export, Notification
from agentflow.rbac import Permission, Role
from tests.factories import (
    Member,
    add_custom_role_member,
    add_member,
    create_agent,
    create_org_with_owner,
)
from tests.support.usage import add_execution

NOW = datetime.now(UTC)
RANGE = {"from": (NOW - timedelta(days=30)).isoformat(), "to": (NOW + timedelta(minutes=1)).isoformat()}


@pytest.fixture
async def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """The worker's sessions, on the test's transaction: the runner sees the test's rows."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


async def _run(sessions: async_sessionmaker[AsyncSession], settings: Settings, export_id: str) -> None:
    outcome = await run_export(sessions, settings, export_store(settings), uuid.UUID(export_id))
    assert outcome is not None


async def _link(session: AsyncSession, member: Member, export_id: str) -> str:
    """The download link of the requester's notification (path + token)."""
    notification = (
        await session.execute(
            select(Notification).where(
                Notification.org_id == member.org_id,
                Notification.user_id == member.user_id,
                Notification.kind == "export.finished",
            )
        )
    ).scalar_one()
    assert notification.link is not None and export_id in notification.link
    assert notification.email_status == "pending"  # mailed after the commit
    return notification.link.removeprefix("/api/v1")


async def _export(client: httpx.AsyncClient, member: Member, **body: Any) -> httpx.Response:
    return await client.post(
        "/exports", json={"kind": "executions", "format": "csv", **RANGE, **body}, headers=member.headers
    )


async def test_csv_export_holds_the_orgs_executions_in_range_and_the_link_downloads_it(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    agent = await create_agent(session, owner, name="Exported")
    inside = [
        await add_execution(session, org_id=owner.org_id, agent_id=agent, created_at=NOW - timedelta(days=d))
        for d in (3, 2, 1)
    ]
    await add_execution(session, org_id=owner.org_id, agent_id=agent, created_at=NOW - timedelta(days=31))
    other = await create_org_with_owner(session, settings, name="Org B")
    await add_execution(
        session,
        org_id=other.org_id,
        agent_id=await create_agent(session, other),
        created_at=NOW - timedelta(days=1),
    )

    created = await _export(client, owner)
    assert created.status_code == 202, created.text
    record = created.json()
    assert record["status"] == "pending" and record["kind"] == "executions" and record["format"] == "csv"
    assert record["from"] == RANGE["from"].replace("+00:00", "Z") and record["downloadable"] is False

    await _run(sessions, settings, record["id"])
    done = (await client.get(f"/exports/{record['id']}", headers=owner.headers)).json()
    assert done["status"] == "succeeded" and done["row_count"] == 3 and done["downloadable"] is True
    assert done["expires_at"] is not None

    download = await client.get(await _link(session, owner, record["id"]))
    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    assert int(download.headers["content-length"]) == done["size_bytes"]
    reader = csv.reader(io.StringIO(download.text))
    header = next(reader)
    assert header[:5] == ["id", "agent_id", "agent_name", "version_id", "status"]
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert [r["id"] for r in rows] == [str(i) for i in inside]  # oldest first, in range, ours only
    assert {r["agent_name"] for r in rows} == {"Exported"} and rows[0]["status"] == "completed"

    listed = (await client.get("/exports", headers=owner.headers)).json()
    assert [e["id"] for e in listed["items"]] == [record["id"]]


async def test_json_export_is_an_array_of_objects(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    agent = await create_agent(session, owner)
    execution = await add_execution(
        session, org_id=owner.org_id, agent_id=agent, created_at=NOW - timedelta(hours=1)
    )
    created = await _export(client, owner, format="json")
    await _run(sessions, settings, created.json()["id"])
    download = await client.get(await _link(session, owner, created.json()["id"]))
    assert download.headers["content-type"] == "application/json"
    items = orjson.loads(download.content)
    assert isinstance(items, list) and [i["id"] for i in items] == [str(execution)]
    assert items[0]["total_cost_usd"] == "0.00000000" and items[0]["agent_id"] == str(agent)

    empty = await _export(
        client, owner, format="json", **{"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}
    )
    await _run(sessions, settings, empty.json()["id"])
    link = await client.post(f"/exports/{empty.json()['id']}/link", headers=owner.headers)
    assert link.status_code == 200, link.text
    path = link.json()["download_url"].removeprefix("http://testserver/api/v1")
    assert orjson.loads((await client.get(path)).content) == []


async def test_links_expire_rotate_and_never_open_another_orgs_export(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    created = await _export(client, owner)
    export_id = created.json()["id"]
    await _run(sessions, settings, export_id)
    emailed = await _link(session, owner, export_id)
    assert (await client.get(emailed)).status_code == 200

    # Another org's export: its id with our token, or its own routes, are not found.
    other = await create_org_with_owner(session, settings, name="Org B Secret Name")
    theirs = await _export(client, other)
    assert theirs.status_code == 202
    token = emailed.split("token=")[1]
    stolen = await client.get(f"/exports/{theirs.json()['id']}/download?token={token}")
    assert stolen.status_code == 404
    for path in (f"/exports/{theirs.json()['id']}", f"/exports/{theirs.json()['id']}/link"):
        method = "POST" if path.endswith("/link") else "GET"
        response = await client.request(method, path, headers=owner.headers)
        assert response.status_code == 404 and "Org B Secret Name" not in response.text
    assert theirs.json()["id"] not in (await client.get("/exports", headers=owner.headers)).text
    assert (await client.get(f"/exports/{export_id}/download?token={'x' * 43}")).status_code == 404

    # A new link replaces the emailed one.
    fresh = await client.post(f"/exports/{export_id}/link", headers=owner.headers)
    assert (await client.get(emailed)).status_code == 404
    fresh_path = fresh.json()["download_url"].removeprefix("http://testserver/api/v1")
    assert (await client.get(fresh_path)).status_code == 200

    # Expired: the link answers 410, and the daily flow deletes the file.
    await session.execute(
        update(Export).where(Export.id == uuid.UUID(export_id)).values(expires_at=NOW - timedelta(seconds=1))
    )
    await session.commit()
    gone = await client.get(fresh_path)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "export_expired"
    assert (await client.post(f"/exports/{export_id}/link", headers=owner.headers)).status_code == 410
    key = await session.get(Export, uuid.UUID(export_id))
    assert key is not None and key.file_key is not None
    file_key = key.file_key
    assert await expire_files(sessions, export_store(settings), now=datetime.now(UTC)) >= 1
    with pytest.raises(FileNotFoundError):
        await export_store(settings).get(file_key)
    session.expire_all()
    assert (await session.get(Export, uuid.UUID(export_id))).file_key is None  # type: ignore[union-attr]
    assert (await client.get(fresh_path)).status_code == 404  # the token is forgotten too


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "agents"}, "kind"),
        ({"format": "xml"}, "format"),
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
        ({"from": "2025-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z"}, "year"),
        ({"from": "yesterday"}, "from"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_bad_kinds_formats_and_ranges_are_422(
    client: httpx.AsyncClient, owner: Member, body: dict[str, Any], field: str
) -> None:
    response = await _export(client, owner, **body)
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_missing_range_is_422(client: httpx.AsyncClient, owner: Member) -> None:
    response = await client.post(
        "/exports", json={"kind": "executions", "format": "csv"}, headers=owner.headers
    )
    assert response.status_code == 422


async def test_audit_log_export_holds_the_orgs_entries_and_needs_audit_read(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    made = await client.post("/teams", json={"name": "Exported team"}, headers=owner.headers)
    assert made.status_code == 201, made.text
    other = await create_org_with_owner(session, settings, name="Org B")
    assert (await client.post("/teams", json={"name": "Theirs"}, headers=other.headers)).status_code == 201

    # The entries are stamped now, not at the module's NOW (a long run imports this file minutes earlier).
    now = datetime.now(UTC)
    today = {"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}
    created = await _export(client, owner, kind="audit_logs", format="json", **today)
    assert created.status_code == 202, created.text
    await _run(sessions, settings, created.json()["id"])
    download = await client.get(await _link(session, owner, created.json()["id"]))
    entries = orjson.loads(download.content)
    team_entries = [e for e in entries if e["action"] == "team.created"]
    assert [e["resource_id"] for e in team_entries] == [made.json()["id"]]  # ours only
    assert team_entries[0]["actor_email"] == owner.email and team_entries[0]["actor_type"] == "user"
    assert team_entries[0]["details"]["changes"][0]["fields"]["name"] == "Exported team"
    assert "org_id" not in team_entries[0]

    # Exporting is no way around the audit log's own permission.
    exporter = await add_custom_role_member(session, settings, owner.org_id, {Permission.exports_create})
    assert (await _export(client, exporter)).status_code == 202
    refused = await _export(client, exporter, kind="audit_logs")
    assert refused.status_code == 403, refused.text


async def test_concurrent_exports_per_org_are_bounded(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    for _ in range(settings.export_max_concurrent):
        assert (await _export(client, owner)).status_code == 202
    refused = await _export(client, owner)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "export_limit_reached"
    # Another org is not held up by this one's.
    other = await create_org_with_owner(session, settings, name="Org B")
    assert (await _export(client, other)).status_code == 202


async def test_editors_cannot_export(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    assert (await _export(client, admin)).status_code == 202
    assert (await _export(client, editor)).status_code == 403


async def test_a_file_over_the_size_cap_fails_with_a_clear_reason(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    agent = await create_agent(session, owner)
    for hours in range(1, 4):
        await add_execution(
            session, org_id=owner.org_id, agent_id=agent, created_at=NOW - timedelta(hours=hours)
        )
    created = await _export(client, owner)
    small = settings.model_copy(update={"export_max_bytes": 600})
    await _run(sessions, small, created.json()["id"])
    failed = (await client.get(f"/exports/{created.json()['id']}", headers=owner.headers)).json()
    assert failed["status"] == "failed" and "shorter date range" in failed["error"]
    assert failed["downloadable"] is False
    notification = (
        await session.execute(select(Notification).where(Notification.user_id == owner.user_id))
    ).scalar_one()
    assert notification.title == "Your executions export failed" and notification.link is None


async def test_stuck_exports_stop_counting_and_the_daily_flow_fails_them(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    stuck = [(await _export(client, owner)).json()["id"] for _ in range(settings.export_max_concurrent)]
    assert (await _export(client, owner)).status_code == 409
    await session.execute(
        update(Export)
        .where(Export.id.in_([uuid.UUID(i) for i in stuck]))
        .values(created_at=datetime.now(UTC) - timedelta(hours=13))
    )
    await session.commit()
    fresh = await _export(client, owner)
    assert fresh.status_code == 202
    assert await fail_stuck(sessions, now=datetime.now(UTC)) >= len(stuck)
    for export_id in stuck:
        body = (await client.get(f"/exports/{export_id}", headers=owner.headers)).json()
        assert body["status"] == "failed" and "did not finish" in body["error"]
    assert (await client.get(f"/exports/{fresh.json()['id']}", headers=owner.headers)).json()[
        "status"
    ] == "pending"


async def test_an_export_recorded_while_prefect_was_down_is_dispatched_by_the_sweeper(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    gateway = app.state.gateway
    app.state.gateway = None  # Prefect down: the export is recorded, no flow run
    try:
        created = await _export(client, owner)
    finally:
        app.state.gateway = gateway
    assert created.status_code == 202
    export_id = uuid.UUID(created.json()["id"])
    assert (await session.get(Export, export_id)).flow_run_id is None  # type: ignore[union-attr]
    found = await ExportDispatcher(gateway, app.state.reader).dispatch_stranded(age_seconds=0)
    assert found >= 1
    session.expire_all()
    export = await session.get(Export, export_id)
    assert export is not None and export.flow_run_id is not None and export.status == "pending"
    run = await gateway.client.read_flow_run(export.flow_run_id)
    assert run.parameters == {"export_id": str(export_id)} and f"org:{owner.org_id}" in run.tags
