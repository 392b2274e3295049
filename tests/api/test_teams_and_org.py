"""Teams CRUD with members; org settings."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.rbac import Role
from tests.factories import Member, add_member, create_org_with_owner


async def test_team_lifecycle(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    created = await client.post(
        "/teams", json={"name": "Support", "description": "Tickets"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    team_id = created.json()["id"]
    assert created.json()["members"] == []

    dup = await client.post("/teams", json={"name": "Support"}, headers=owner.headers)
    assert dup.status_code == 409

    added = await client.post(
        f"/teams/{team_id}/members", json={"user_id": str(editor.user_id)}, headers=owner.headers
    )
    assert added.status_code == 200
    assert [m["email"] for m in added.json()["members"]] == [editor.email]
    again = await client.post(
        f"/teams/{team_id}/members", json={"user_id": str(editor.user_id)}, headers=owner.headers
    )
    assert len(again.json()["members"]) == 1  # idempotent

    outsider = await create_org_with_owner(session, settings, name="Elsewhere")
    refused = await client.post(
        f"/teams/{team_id}/members", json={"user_id": str(outsider.user_id)}, headers=owner.headers
    )
    assert refused.status_code == 404

    renamed = await client.put(f"/teams/{team_id}", json={"name": "Customer Support"}, headers=owner.headers)
    assert renamed.json()["name"] == "Customer Support" and renamed.json()["description"] == "Tickets"

    viewer_view = await client.get(f"/teams/{team_id}", headers=editor.headers)
    assert viewer_view.status_code == 200 and viewer_view.json()["name"] == "Customer Support"
    listed = await client.get("/teams", headers=editor.headers)
    assert [t["id"] for t in listed.json()["items"]] == [team_id]

    removed = await client.delete(f"/teams/{team_id}/members/{editor.user_id}", headers=owner.headers)
    assert removed.status_code == 204
    assert (await client.get(f"/teams/{team_id}", headers=owner.headers)).json()["members"] == []

    assert (await client.delete(f"/teams/{team_id}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/teams/{team_id}", headers=owner.headers)).status_code == 404


async def test_removing_a_member_removes_them_from_teams(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    team_id = (await client.post("/teams", json={"name": "Ops"}, headers=owner.headers)).json()["id"]
    await client.post(
        f"/teams/{team_id}/members", json={"user_id": str(editor.user_id)}, headers=owner.headers
    )
    await client.delete(f"/org/members/{editor.user_id}", headers=owner.headers)
    assert (await client.get(f"/teams/{team_id}", headers=owner.headers)).json()["members"] == []


async def test_org_settings_merge(client: httpx.AsyncClient, owner: Member) -> None:
    org = await client.get("/org", headers=owner.headers)
    assert (
        org.json()["name"] == "Org A" and org.json()["plan"] == "free" and org.json()["data_region"] == "us"
    )

    first = await client.put(
        "/org",
        json={"settings": {"ai": {"default_model": "llama3.1"}, "timezone": "UTC"}},
        headers=owner.headers,
    )
    assert first.status_code == 200, first.text
    second = await client.put(
        "/org",
        json={"name": "Acme 2", "data_region": "us", "settings": {"timezone": None}},
        headers=owner.headers,
    )
    # stored as sent; the removed zone reads as the default; the region (unchanged) is accepted
    assert second.json()["settings"] == {"ai": {"default_model": "llama3.1"}, "timezone": "UTC"}
    assert second.json()["name"] == "Acme 2" and second.json()["data_region"] == "us"

    bad_region = await client.put("/org", json={"data_region": "mars"}, headers=owner.headers)
    assert bad_region.status_code == 422
    huge = await client.put("/org", json={"settings": {"timezone": "x" * 70_000}}, headers=owner.headers)
    assert huge.status_code in (413, 422)
    assert (await client.get("/org", headers=owner.headers)).json()["name"] == "Acme 2"
