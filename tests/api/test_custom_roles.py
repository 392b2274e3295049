"""Custom roles: CRUD, the built-in roles listed read-only, input bounds, names, the per-org cap, roles still
held refusing deletion, and another org's role never found."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.models import CustomRole
from agentflow.rbac import ROLE_PERMISSIONS, Role
from agentflow.roles.schemas import MAX_ROLES_PER_ORG
from tests.factories import Member, add_member, create_org_with_owner

RUNNER = {"name": "Runner", "permissions": ["agents:read", "agents:execute", "executions:read"]}


async def create_role(client: httpx.AsyncClient, member: Member, **body: object) -> httpx.Response:
    return await client.post("/org/roles", json={**RUNNER, **body}, headers=member.headers)


async def test_create_list_get_update_delete(client: httpx.AsyncClient, owner: Member) -> None:
    created = await create_role(
        client,
        owner,
        description="Runs agents",
        permissions=["executions:read", "agents:read", "agents:execute", "agents:read"],
    )
    assert created.status_code == 201, created.text
    role = created.json()
    assert role["name"] == "Runner" and role["builtin"] is False and role["description"] == "Runs agents"
    assert role["permissions"] == ["agents:execute", "agents:read", "executions:read"]  # sorted, distinct
    role_id = role["id"]

    listed = (await client.get("/org/roles", headers=owner.headers)).json()
    assert listed["next_cursor"] is None
    names = [item["name"] for item in listed["items"]]
    assert names == ["owner", "admin", "editor", "viewer", "Runner"]
    builtin = {item["name"]: item for item in listed["items"] if item["builtin"]}
    assert builtin["editor"]["id"] is None
    assert set(builtin["editor"]["permissions"]) == set(ROLE_PERMISSIONS[Role.editor])

    fetched = await client.get(f"/org/roles/{role_id}", headers=owner.headers)
    assert fetched.status_code == 200 and fetched.json() == role

    updated = await client.put(
        f"/org/roles/{role_id}",
        json={"name": "Operator", "permissions": ["agents:read"], "description": ""},
        headers=owner.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Operator" and updated.json()["permissions"] == ["agents:read"]

    deleted = await client.delete(f"/org/roles/{role_id}", headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/org/roles/{role_id}", headers=owner.headers)).status_code == 404
    assert (await client.delete(f"/org/roles/{role_id}", headers=owner.headers)).status_code == 404


async def test_names_are_unique_whatever_the_case_and_built_in_names_are_reserved(
    client: httpx.AsyncClient, owner: Member
) -> None:
    assert (await create_role(client, owner)).status_code == 201
    taken = await create_role(client, owner, name="runner")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "role_name_taken"
    other = await create_role(client, owner, name="Other")
    renamed = await client.put(
        f"/org/roles/{other.json()['id']}", json={"name": "RUNNER"}, headers=owner.headers
    )
    assert renamed.status_code == 409 and renamed.json()["error"]["code"] == "role_name_taken"
    for reserved in ("admin", "Owner", "VIEWER", " editor "):
        refused = await create_role(client, owner, name=reserved)
        assert refused.status_code == 422, refused.text
        assert "built-in" in refused.text
        put = await client.put(
            f"/org/roles/{other.json()['id']}", json={"name": reserved}, headers=owner.headers
        )
        assert put.status_code == 422


async def test_malformed_or_oversized_input_is_a_clear_4xx(client: httpx.AsyncClient, owner: Member) -> None:
    cases = [
        {"name": "x" * 65},
        {"name": ""},
        {"name": "bad/name"},
        {"name": "<script>"},
        {"permissions": ["agents:read", "root:everything"]},
        {"permissions": "agents:read"},
        {"permissions": ["agents:read"] * 200},
        {"description": "d" * 1001},
        {"unexpected": True},
    ]
    for body in cases:
        response = await create_role(client, owner, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    missing = await client.post("/org/roles", json={"name": "No permissions field"}, headers=owner.headers)
    assert missing.status_code == 422
    not_json = await client.post(
        "/org/roles", content=b"{not json", headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert (await client.get("/org/roles/not-a-uuid", headers=owner.headers)).status_code == 422


async def test_an_org_has_at_most_a_hundred_roles(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    session.add_all(
        CustomRole(org_id=owner.org_id, name=f"r{i}", permissions=["agents:read"])
        for i in range(MAX_ROLES_PER_ORG)
    )
    await session.flush()
    refused = await create_role(client, owner)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "role_limit_reached"
    assert (
        len((await client.get("/org/roles", headers=owner.headers)).json()["items"]) == 4 + MAX_ROLES_PER_ORG
    )


async def test_only_role_managers_write_roles_and_members_read_them(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    created = await create_role(client, admin)
    assert created.status_code == 201
    refused = await create_role(client, editor, name="Mine")
    assert refused.status_code == 403 and "roles:manage" in refused.json()["error"]["message"]
    role_id = created.json()["id"]
    assert (await client.put(f"/org/roles/{role_id}", json={}, headers=editor.headers)).status_code == 403
    assert (await client.delete(f"/org/roles/{role_id}", headers=editor.headers)).status_code == 403
    assert (await client.get(f"/org/roles/{role_id}", headers=editor.headers)).status_code == 200
    assert (await client.get("/org/roles", headers=editor.headers)).status_code == 200


async def test_another_orgs_role_is_not_found_and_cannot_be_handed_out(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    """The cross-tenant attack: org B's role id in every route, and org B's role name in assignments."""
    other = await create_org_with_owner(session, settings, name="Org B Secret Name")
    theirs = await create_role(client, other, name="Their Secret Role")
    their_id = theirs.json()["id"]
    for response in (
        await client.get(f"/org/roles/{their_id}", headers=owner.headers),
        await client.put(f"/org/roles/{their_id}", json={"name": "Mine now"}, headers=owner.headers),
        await client.delete(f"/org/roles/{their_id}", headers=owner.headers),
    ):
        assert response.status_code == 404, response.text
        assert "Their Secret Role" not in response.text and "Org B" not in response.text
    listed = await client.get("/org/roles", headers=owner.headers)
    assert "Their Secret Role" not in listed.text

    member = await add_member(session, settings, owner.org_id, Role.viewer)
    assign = await client.put(
        f"/org/members/{member.user_id}/role", json={"role": "Their Secret Role"}, headers=owner.headers
    )
    assert assign.status_code == 422 and assign.json()["error"]["code"] == "unknown_role"
    invite = await client.post(
        "/org/members/invite",
        json={"email": "x@example.com", "role": "Their Secret Role"},
        headers=owner.headers,
    )
    assert invite.status_code == 422 and invite.json()["error"]["code"] == "unknown_role"
    key = await client.post(
        "/org/api-keys", json={"name": "k", "role": "Their Secret Role"}, headers=owner.headers
    )
    assert key.status_code == 422 and key.json()["error"]["code"] == "unknown_role"
    # Their role is untouched.
    assert (await client.get(f"/org/roles/{their_id}", headers=other.headers)).json()[
        "name"
    ] == "Their Secret Role"


async def test_a_role_still_held_cannot_be_deleted(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    role_id = (await create_role(client, owner)).json()["id"]
    member = await add_member(session, settings, owner.org_id, Role.viewer)
    url = f"/org/roles/{role_id}"

    assigned = await client.put(
        f"/org/members/{member.user_id}/role", json={"role": "runner"}, headers=owner.headers
    )
    assert assigned.status_code == 200 and assigned.json()["role"] == "Runner"
    held = await client.delete(url, headers=owner.headers)
    assert held.status_code == 409 and held.json()["error"]["code"] == "role_in_use"
    assert held.json()["error"]["details"] == {"members": 1, "invitations": 0, "api_keys": 0}
    await client.put(f"/org/members/{member.user_id}/role", json={"role": "viewer"}, headers=owner.headers)

    invited = await client.post(
        "/org/members/invite",
        json={"email": f"{uuid.uuid4().hex[:8]}@example.com", "role": "Runner"},
        headers=owner.headers,
    )
    assert invited.status_code == 201 and invited.json()["role"] == "Runner"
    held = await client.delete(url, headers=owner.headers)
    assert held.status_code == 409 and held.json()["error"]["details"]["invitations"] == 1
    await client.delete(f"/org/invitations/{invited.json()['id']}", headers=owner.headers)

    key = await client.post("/org/api-keys", json={"name": "k", "role": "Runner"}, headers=owner.headers)
    assert key.status_code == 201 and key.json()["role"] == "Runner"
    held = await client.delete(url, headers=owner.headers)
    assert held.status_code == 409 and held.json()["error"]["details"]["api_keys"] == 1
    await client.delete(f"/org/api-keys/{key.json()['id']}", headers=owner.headers)

    assert (await client.delete(url, headers=owner.headers)).status_code == 204


async def test_a_rename_reaches_every_holder(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    role_id = (await create_role(client, owner)).json()["id"]
    member = await add_member(session, settings, owner.org_id, Role.viewer)
    await client.put(f"/org/members/{member.user_id}/role", json={"role": "Runner"}, headers=owner.headers)
    invited = await client.post(
        "/org/members/invite", json={"email": "r@example.com", "role": "Runner"}, headers=owner.headers
    )
    key = await client.post("/org/api-keys", json={"name": "k", "role": "Runner"}, headers=owner.headers)

    renamed = await client.put(f"/org/roles/{role_id}", json={"name": "Operator"}, headers=owner.headers)
    assert renamed.status_code == 200
    members = (await client.get("/org/members", headers=owner.headers)).json()["items"]
    assert {m["user"]["id"]: m["role"] for m in members}[str(member.user_id)] == "Operator"
    me = await client.get("/auth/me", headers=member.headers)
    assert me.json()["role"] == "Operator" and me.json()["memberships"][0]["role"] == "Operator"
    invitations = (await client.get("/org/invitations", headers=owner.headers)).json()["items"]
    assert {i["id"]: i["role"] for i in invitations}[invited.json()["id"]] == "Operator"
    preview = await client.get(f"/invitations/{invited.json()['token']}")
    assert preview.json()["role"] == "Operator"
    keys = (await client.get("/org/api-keys", headers=owner.headers)).json()["items"]
    assert {k["id"]: k["role"] for k in keys}[key.json()["id"]] == "Operator"
