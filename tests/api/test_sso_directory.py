"""WorkOS directory sync through the webhook: signatures checked by the SDK, members provisioned, updated and
deprovisioned (their sessions and API keys end at once), directory groups filling teams."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.service import auth_service
from agentflow.config import Settings
from agentflow.models import APIKey, DirectoryUser, Organization, OrgMembership, Team, TeamMembership, User
from agentflow.rbac import Role
from tests.api.sso_helpers import REFRESH, connect
from tests.factories import Member, add_member, create_api_key, create_org_with_owner, create_user
from tests.fakes import workos_fixtures
from tests.fakes.workos_api import FakeWorkOS, directory_group, directory_user, event, sign

workos_server = workos_fixtures.workos_server
workos_fake = workos_fixtures.workos_fake
sso_settings = workos_fixtures.sso_settings
sso_app = workos_fixtures.sso_app

HOOK = "/auth/sso/webhook"


async def deliver(
    client: httpx.AsyncClient, payload: dict[str, Any], *, signature: str | None = None
) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await client.post(
        HOOK,
        content=body,
        headers={"Content-Type": "application/json", "WorkOS-Signature": signature or sign(body)},
    )


async def member_of(session: AsyncSession, org_id: object, email: str) -> OrgMembership | None:
    session.expire_all()
    return await session.scalar(
        select(OrgMembership)
        .join(User, User.id == OrgMembership.user_id)
        .where(OrgMembership.org_id == org_id, User.email == email)
    )


async def test_a_signed_user_event_provisions_a_member_and_updates_follow(
    sso_app: FastAPI, client: httpx.AsyncClient, workos_fake: FakeWorkOS, session: AsyncSession, owner: Member
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    person = directory_user(organization_id=workos_org, email=f"ada@{domain}", user_id="directory_user_01ADA")
    created = await deliver(client, event("dsync.user.created", person))
    assert created.status_code == 200 and created.json() == {"processed": True}
    membership = await member_of(session, owner.org_id, f"ada@{domain}")
    assert membership is not None and membership.role == "viewer"
    user_id = membership.user_id
    link = await session.scalar(
        select(DirectoryUser).where(DirectoryUser.directory_user_id == "directory_user_01ADA")
    )
    assert link is not None and link.user_id == user_id

    renamed = {**person, "name": "Ada King"}
    again = await deliver(client, event("dsync.user.updated", renamed, created_at="2026-06-02T00:00:00.000Z"))
    assert again.status_code == 200
    session.expire_all()
    user = await session.get(User, user_id)
    assert user is not None and user.full_name == "Ada King"
    # A redelivered creation changes nothing more.
    assert (await deliver(client, event("dsync.user.created", person))).status_code == 200
    count = await session.scalar(
        select(func.count()).select_from(OrgMembership).where(OrgMembership.org_id == owner.org_id)
    )
    assert count == 2

    # Outside the org's verified domains, or another WorkOS organization's directory: nothing happens.
    stranger = directory_user(
        organization_id=workos_org, email="eve@gmail.com", user_id="directory_user_01EVE"
    )
    assert (await deliver(client, event("dsync.user.created", stranger))).json() == {"processed": False}
    foreign = directory_user(organization_id="org_01SOMEONEELSE", email=f"bob@{domain}")
    assert (await deliver(client, event("dsync.user.created", foreign))).json() == {"processed": False}
    assert await member_of(session, owner.org_id, "eve@gmail.com") is None
    assert await member_of(session, owner.org_id, f"bob@{domain}") is None


async def test_bad_signatures_change_nothing(
    sso_app: FastAPI, client: httpx.AsyncClient, workos_fake: FakeWorkOS, session: AsyncSession, owner: Member
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    payload = event(
        "dsync.user.created", directory_user(organization_id=workos_org, email=f"mallory@{domain}")
    )
    body = json.dumps(payload).encode()
    cases = {
        "wrong secret": sign(body, secret="not-the-secret"),
        "another body": sign(b'{"event": "dsync.user.created"}'),
        "stale": sign(body, at_ms=1_600_000_000_000),
        "garbage": "v1=abc",
        "bad timestamp": "t=soon, v1=abc",
    }
    for name, signature in cases.items():
        refused = await deliver(client, payload, signature=signature)
        assert refused.status_code == 400, name
        assert refused.json()["error"]["code"] == "invalid_signature", name
    missing = await client.post(HOOK, content=body, headers={"Content-Type": "application/json"})
    assert missing.status_code == 400
    # Signed but not an event the SDK can read.
    junk = b'{"event": "dsync.user.created", "data": {}}'
    unreadable = await client.post(HOOK, content=junk, headers={"WorkOS-Signature": sign(junk)})
    assert unreadable.status_code == 400 and unreadable.json()["error"]["code"] == "invalid_event"
    not_json = b"\xff\xfe"
    assert (
        await client.post(HOOK, content=not_json, headers={"WorkOS-Signature": sign(b"x")})
    ).status_code == 400
    huge = b"{" + b" " * (300 * 1024) + b"}"
    assert (
        await client.post(HOOK, content=huge, headers={"WorkOS-Signature": "t=1, v1=x"})
    ).status_code == 413
    assert await member_of(session, owner.org_id, f"mallory@{domain}") is None


async def test_deprovisioning_ends_sessions_and_api_keys_at_once(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    sso_settings: Settings,
    owner: Member,
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    user = await create_user(session, email=f"leaver@{domain}")
    leaver = await add_member(session, sso_settings, owner.org_id, Role.admin, user=user)
    key = await create_api_key(session, leaver)
    org = await session.get(Organization, owner.org_id)
    assert org is not None
    signed_in = await auth_service.issue(session, sso_settings, user=user, org=org, role=Role.admin)
    person = directory_user(organization_id=workos_org, email=leaver.email, user_id="directory_user_01LEAVER")
    assert (await deliver(client, event("dsync.user.created", person))).status_code == 200
    assert (await client.get("/org", headers={"X-API-Key": key})).status_code == 200

    gone = await deliver(client, event("dsync.user.deleted", person, created_at="2026-06-03T00:00:00.000Z"))
    assert gone.status_code == 200 and gone.json() == {"processed": True}
    assert await member_of(session, owner.org_id, leaver.email) is None
    assert (await client.get("/org", headers={"X-API-Key": key})).status_code == 401
    assert (await client.get("/org", headers=leaver.headers)).status_code == 401
    client.cookies.set(REFRESH, signed_in.refresh_token, path="/api/v1/auth")
    assert (await client.post("/auth/refresh")).status_code == 401
    revoked = await session.scalar(select(APIKey.revoked_at).where(APIKey.created_by == leaver.user_id))
    assert revoked is not None  # revoked, not only disabled: re-adding them later brings no old key back

    # A delayed, older creation does not bring them back.
    assert (await deliver(client, event("dsync.user.created", person))).json() == {"processed": False}
    assert await member_of(session, owner.org_id, leaver.email) is None


async def test_a_suspended_user_is_deprovisioned_but_the_last_owner_is_kept(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    sso_settings: Settings,
    settings: Settings,
) -> None:
    owner = await create_org_with_owner(session, settings, name="Owned")
    workos_org, domain = await connect(client, workos_fake, owner)
    editor_user = await create_user(session, email=f"ed@{domain}")
    await add_member(session, sso_settings, owner.org_id, Role.editor, user=editor_user)
    person = directory_user(organization_id=workos_org, email=f"ed@{domain}", user_id="directory_user_01ED")
    await deliver(client, event("dsync.user.created", person))
    suspended = await deliver(
        client,
        event("dsync.user.updated", {**person, "state": "suspended"}, created_at="2026-06-02T00:00:00.000Z"),
    )
    assert suspended.json() == {"processed": True}
    assert await member_of(session, owner.org_id, f"ed@{domain}") is None

    # The org's only owner, deleted in the directory, stays (the org would have no owner left).
    session.expire_all()
    owner_user = await session.get(User, owner.user_id)
    assert owner_user is not None
    owner_user.email = f"boss@{domain}"
    await session.flush()
    boss = directory_user(organization_id=workos_org, email=f"boss@{domain}", user_id="directory_user_01BOSS")
    await deliver(client, event("dsync.user.created", boss))
    kept = await deliver(client, event("dsync.user.deleted", boss, created_at="2026-06-04T00:00:00.000Z"))
    assert kept.json() == {"processed": False}
    assert await member_of(session, owner.org_id, f"boss@{domain}") is not None


async def test_directory_groups_fill_teams(
    sso_app: FastAPI, client: httpx.AsyncClient, workos_fake: FakeWorkOS, session: AsyncSession, owner: Member
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    existing = await client.post("/teams", json={"name": "Engineering"}, headers=owner.headers)
    assert existing.status_code == 201
    person = directory_user(organization_id=workos_org, email=f"dev@{domain}", user_id="directory_user_01DEV")
    engineering = directory_group(
        organization_id=workos_org, name="Engineering", group_id="directory_group_01ENG"
    )
    sales = directory_group(organization_id=workos_org, name="Sales", group_id="directory_group_01SALES")
    for group in (engineering, sales):
        added = await deliver(
            client, event("dsync.group.user_added", {"directory_id": "d", "user": person, "group": group})
        )
        assert added.json() == {"processed": True}
    membership = await member_of(session, owner.org_id, f"dev@{domain}")
    assert membership is not None
    user_id = membership.user_id
    teams = dict(
        (
            await session.execute(
                select(Team.name, Team.id)
                .join(TeamMembership, TeamMembership.team_id == Team.id)
                .where(TeamMembership.user_id == user_id)
            )
        ).all()
    )
    assert set(teams) == {"Engineering", "Sales"}
    assert str(teams["Engineering"]) == existing.json()["id"]  # matched by name, not duplicated

    removed = await deliver(
        client, event("dsync.group.user_removed", {"directory_id": "d", "user": person, "group": sales})
    )
    assert removed.json() == {"processed": True}
    session.expire_all()
    left = set(
        await session.scalars(
            select(Team.name)
            .join(TeamMembership, TeamMembership.team_id == Team.id)
            .where(TeamMembership.user_id == user_id)
        )
    )
    assert left == {"Engineering"}


async def test_a_renamed_group_renames_its_team_and_a_deleted_one_stops_filling_it(
    sso_app: FastAPI, client: httpx.AsyncClient, workos_fake: FakeWorkOS, session: AsyncSession, owner: Member
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    person = directory_user(organization_id=workos_org, email=f"ops@{domain}", user_id="directory_user_01OPS")
    group = directory_group(organization_id=workos_org, name="Ops", group_id="directory_group_01OPS")
    added = {"directory_id": "d", "user": person, "group": group}
    assert (await deliver(client, event("dsync.group.user_added", added))).json() == {"processed": True}
    # A hand-made member of the same team: the directory never removes those.
    team_id = await session.scalar(select(Team.id).where(Team.org_id == owner.org_id, Team.name == "Ops"))
    assert team_id is not None
    joined = await client.post(
        f"/teams/{team_id}/members", json={"user_id": str(owner.user_id)}, headers=owner.headers
    )
    assert joined.status_code == 200, joined.text

    taken = await client.post("/teams", json={"name": "Taken"}, headers=owner.headers)
    assert taken.status_code == 201
    clash = await deliver(client, event("dsync.group.updated", {**group, "name": "Taken"}))
    assert clash.json() == {"processed": False}  # another team's name: kept as is
    renamed = await deliver(client, event("dsync.group.updated", {**group, "name": "Operations"}))
    assert renamed.json() == {"processed": True}
    session.expire_all()
    assert (await session.get(Team, team_id)).name == "Operations"  # type: ignore[union-attr]

    gone = await deliver(client, event("dsync.group.deleted", group))
    assert gone.json() == {"processed": True}
    session.expire_all()
    left = set(await session.scalars(select(TeamMembership.user_id).where(TeamMembership.team_id == team_id)))
    assert left == {owner.user_id}  # the directory's member removed, the hand-made one kept, the team too
    again = await deliver(client, event("dsync.group.deleted", group))
    assert again.json() == {"processed": False}
