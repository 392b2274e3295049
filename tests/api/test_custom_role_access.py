"""Holding a custom role: exactly its permissions, edits applied on the next request, no escalation when
creating, editing or handing out roles, API keys and invitations carrying a custom role."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents.schemas import EXAMPLE_DEFINITION
from agentflow.config import Settings
from agentflow.rbac import ROLE_PERMISSIONS, Permission, Role
from api.app import create_app
from tests.factories import PASSWORD, Member, add_custom_role_member, add_member

READER = {Permission.agents_read, Permission.executions_read}
NEW_AGENT = {"name": "Triage", "definition": EXAMPLE_DEFINITION}


async def test_a_member_gets_exactly_their_roles_permissions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    member = await add_custom_role_member(session, settings, owner.org_id, READER, name="Auditor")
    me = await client.get("/auth/me", headers=member.headers)
    assert me.status_code == 200
    assert me.json()["role"] == "Auditor"
    assert me.json()["permissions"] == ["agents:read", "executions:read"]
    assert (await client.get("/agents", headers=member.headers)).status_code == 200
    assert (await client.get("/executions", headers=member.headers)).status_code == 200
    for method, path, body in (
        ("POST", "/agents", NEW_AGENT),
        ("GET", "/org/members", None),
        ("GET", "/teams", None),
        ("GET", "/org/api-keys", None),
        ("PUT", "/org", {"name": "Mine"}),
    ):
        response = await client.request(method, path, json=body, headers=member.headers)
        assert response.status_code == 403, (method, path, response.text)


async def test_role_edits_apply_on_the_next_request(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    member = await add_custom_role_member(session, settings, owner.org_id, READER, name="Auditor")
    roles = (await client.get("/org/roles", headers=owner.headers)).json()["items"]
    role_id = next(r["id"] for r in roles if r["name"] == "Auditor")
    assert (await client.get("/agents", headers=member.headers)).status_code == 200
    assert (await client.post("/agents", json=NEW_AGENT, headers=member.headers)).status_code == 403

    edit = await client.put(
        f"/org/roles/{role_id}",
        json={"permissions": ["agents:write", "executions:read"]},
        headers=owner.headers,
    )
    assert edit.status_code == 200, edit.text
    assert (await client.get("/agents", headers=member.headers)).status_code == 403
    assert (await client.post("/agents", json=NEW_AGENT, headers=member.headers)).status_code == 201


async def test_nobody_creates_edits_or_deletes_a_role_beyond_their_permissions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    manager = await add_custom_role_member(
        session, settings, owner.org_id, {Permission.roles_manage, Permission.members_read, *READER}
    )
    wider = await client.post(
        "/org/roles",
        json={"name": "Writer", "permissions": ["agents:read", "agents:write"]},
        headers=manager.headers,
    )
    assert wider.status_code == 403 and wider.json()["error"]["code"] == "role_escalation"
    assert wider.json()["error"]["details"] == {"permissions": ["agents:write"]}
    narrow = await client.post(
        "/org/roles", json={"name": "Reader", "permissions": ["agents:read"]}, headers=manager.headers
    )
    assert narrow.status_code == 201
    widen = await client.put(
        f"/org/roles/{narrow.json()['id']}",
        json={"permissions": ["agents:read", "secrets:read"]},
        headers=manager.headers,
    )
    assert widen.status_code == 403 and widen.json()["error"]["code"] == "role_escalation"

    # A role beyond the manager's permissions is out of their reach, even to narrow or delete it.
    runner = await client.post(
        "/org/roles",
        json={"name": "Runner", "permissions": ["agents:read", "agents:execute"]},
        headers=owner.headers,
    )
    url = f"/org/roles/{runner.json()['id']}"
    for response in (
        await client.put(url, json={"permissions": ["agents:read"]}, headers=manager.headers),
        await client.delete(url, headers=manager.headers),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "role_escalation"

    # Their own role cannot be widened by them either.
    roles = (await client.get("/org/roles", headers=manager.headers)).json()["items"]
    own_id = next(r["id"] for r in roles if r["name"] == manager.role)
    own = await client.put(
        f"/org/roles/{own_id}",
        json={"permissions": [*sorted(manager.permissions or ()), "agents:write"]},
        headers=manager.headers,
    )
    assert own.status_code == 403 and own.json()["error"]["code"] == "role_escalation"


async def test_handing_out_roles_needs_every_permission_of_both_the_old_and_the_new_role(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    manager = await add_custom_role_member(
        session,
        settings,
        owner.org_id,
        {Permission.members_manage, Permission.members_invite, Permission.members_read, *READER},
        name="People ops",
    )
    narrow = await add_custom_role_member(
        session, settings, owner.org_id, {Permission.agents_read}, name="Reader"
    )
    await client.post(
        "/org/roles", json={"name": "Observer", "permissions": ["executions:read"]}, headers=owner.headers
    )
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)

    def change(member: Member, role: str, by: Member) -> object:
        return client.put(f"/org/members/{member.user_id}/role", json={"role": role}, headers=by.headers)

    up = await change(narrow, "editor", manager)
    assert up.status_code == 403 and up.json()["error"]["code"] == "role_escalation"
    # A viewer holds permissions the manager lacks: they may not take that role away either.
    down = await change(viewer, "Observer", manager)
    assert down.status_code == 403 and down.json()["error"]["code"] == "role_escalation"
    ok = await change(narrow, "observer", manager)
    assert ok.status_code == 200 and ok.json()["role"] == "Observer"
    assert (await client.get("/executions", headers=narrow.headers)).status_code == 200
    assert (await client.get("/agents", headers=narrow.headers)).status_code == 403
    self_promotion = await change(manager, "admin", manager)
    assert self_promotion.status_code == 403 and self_promotion.json()["error"]["code"] == "role_escalation"
    invite = await client.post(
        "/org/members/invite", json={"email": "e@example.com", "role": "editor"}, headers=manager.headers
    )
    assert invite.status_code == 403 and invite.json()["error"]["code"] == "role_escalation"
    removal = await client.delete(f"/org/members/{viewer.user_id}", headers=manager.headers)
    assert removal.status_code == 403 and removal.json()["error"]["code"] == "role_escalation"
    assert (await client.delete(f"/org/members/{narrow.user_id}", headers=manager.headers)).status_code == 204

    # Admins hand out any custom role; owners alone make owners, as before.
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    assert (await change(viewer, "Observer", admin)).status_code == 200
    owner_only = await change(viewer, "owner", admin)
    assert owner_only.status_code == 403 and owner_only.json()["error"]["code"] == "forbidden"
    unknown = await change(viewer, "Nonexistent", admin)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_role"
    too_long = await change(viewer, "x" * 65, admin)
    assert too_long.status_code == 422


async def test_an_invitation_with_a_custom_role_makes_a_member_holding_it(
    client: httpx.AsyncClient, owner: Member
) -> None:
    await client.post(
        "/org/roles", json={"name": "Observer", "permissions": ["executions:read"]}, headers=owner.headers
    )
    invited = await client.post(
        "/org/members/invite", json={"email": "obs@example.com", "role": "OBSERVER"}, headers=owner.headers
    )
    assert invited.status_code == 201 and invited.json()["role"] == "Observer"
    accepted = await client.post(
        f"/invitations/{invited.json()['token']}/accept", json={"password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "Observer"
    headers = {"Authorization": f"Bearer {accepted.json()['access_token']}"}
    me = await client.get("/auth/me", headers=headers)
    assert me.json()["role"] == "Observer" and me.json()["permissions"] == ["executions:read"]
    assert (await client.get("/agents", headers=headers)).status_code == 403


async def test_api_keys_with_a_role_follow_it_within_their_creators_permissions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    role = await client.post(
        "/org/roles", json={"name": "Runner", "permissions": ["agents:read"]}, headers=owner.headers
    )
    created = await client.post("/org/api-keys", json={"name": "ci", "role": "runner"}, headers=owner.headers)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "Runner" and created.json()["scopes"] == ["agents:read"]
    key = {"X-API-Key": created.json()["key"]}
    assert (await client.get("/agents", headers=key)).status_code == 200
    assert (await client.post("/agents", json=NEW_AGENT, headers=key)).status_code == 403

    await client.put(
        f"/org/roles/{role.json()['id']}",
        json={"permissions": ["agents:read", "agents:write"]},
        headers=owner.headers,
    )
    assert (await client.post("/agents", json=NEW_AGENT, headers=key)).status_code == 201
    listed = (await client.get("/org/api-keys", headers=owner.headers)).json()["items"]
    assert {k["id"]: k["scopes"] for k in listed}[created.json()["id"]] == ["agents:read", "agents:write"]

    builtin = await client.post("/org/api-keys", json={"name": "v", "role": "viewer"}, headers=owner.headers)
    assert builtin.json()["role"] == "viewer"
    assert set(builtin.json()["scopes"]) == set(ROLE_PERMISSIONS[Role.viewer])
    both = await client.post(
        "/org/api-keys", json={"name": "x", "role": "viewer", "scopes": ["org:read"]}, headers=owner.headers
    )
    assert both.status_code == 422

    # A key-writing custom role cannot mint a key holding a role beyond it.
    writer = await add_custom_role_member(
        session, settings, owner.org_id, {Permission.api_keys_write, Permission.agents_read}
    )
    beyond = await client.post("/org/api-keys", json={"name": "w", "role": "Runner"}, headers=writer.headers)
    assert beyond.status_code == 403 and beyond.json()["error"]["code"] == "role_escalation"


async def test_a_role_edit_is_served_fresh_by_the_running_apps_auth_cache(settings: Settings) -> None:
    """The real lifespan (auth cache on, committed rows): the next request after an edit sees it."""
    app = create_app(settings, configure_logs=False)
    async with app.router.lifespan_context(app):
        assert app.state.auth_cache.enabled
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
            signup = await client.post(
                "/auth/signup",
                json={
                    "email": f"o-{uuid.uuid4().hex[:8]}@example.com",
                    "password": PASSWORD,
                    "org_name": "R",
                },
            )
            owner = {"Authorization": f"Bearer {signup.json()['access_token']}"}
            role = await client.post(
                "/org/roles", json={"name": "Runner", "permissions": ["agents:read"]}, headers=owner
            )
            invited = await client.post(
                "/org/members/invite",
                json={"email": f"m-{uuid.uuid4().hex[:8]}@example.com", "role": "Runner"},
                headers=owner,
            )
            accepted = await client.post(
                f"/invitations/{invited.json()['token']}/accept", json={"password": PASSWORD}
            )
            member = {"Authorization": f"Bearer {accepted.json()['access_token']}"}
            key = (
                await client.post("/org/api-keys", json={"name": "k", "role": "Runner"}, headers=owner)
            ).json()
            for _ in range(2):  # the second answers come from the cache
                assert (await client.get("/agents", headers=member)).status_code == 200
                assert (await client.get("/agents", headers={"X-API-Key": key["key"]})).status_code == 200

            edit = await client.put(
                f"/org/roles/{role.json()['id']}", json={"permissions": ["executions:read"]}, headers=owner
            )
            assert edit.status_code == 200
            assert (await client.get("/agents", headers=member)).status_code == 403
            assert (await client.get("/agents", headers={"X-API-Key": key["key"]})).status_code == 403
            assert (await client.get("/executions", headers=member)).status_code == 200
