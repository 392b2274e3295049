"""The retention setting through PUT /org (allowed values, the owners' notice a week ahead, the held first
purge) and the data region, chosen at signup and fixed after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.models import Notification, Organization
from agentflow.rbac import Role
from tests.factories import Member, add_member


async def _notices(session: AsyncSession, member: Member) -> list[Notification]:
    found = await session.execute(
        select(Notification)
        .where(
            Notification.org_id == member.org_id,
            Notification.user_id == member.user_id,
            Notification.kind == "retention.scheduled",
        )
        .order_by(Notification.created_at)
    )
    return list(found.scalars())


async def _purge_from(session: AsyncSession, member: Member) -> datetime | None:
    session.expire_all()
    org = await session.get(Organization, member.org_id)
    assert org is not None
    return org.retention_purge_from


async def test_a_new_or_shorter_retention_notifies_owners_and_holds_the_purge_a_week(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    before = datetime.now(UTC)
    saved = await client.put("/org", json={"settings": {"retention_days": 90}}, headers=admin.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"]["retention_days"] == 90
    held = await _purge_from(session, owner)
    assert held is not None and before + timedelta(days=7) <= held <= datetime.now(UTC) + timedelta(days=7)
    assert saved.json()["retention_purge_from"] is not None
    (notice,) = await _notices(session, owner)
    assert "90 days" in notice.title and held.strftime("%Y-%m-%d") in notice.body
    assert notice.email_status == "pending"  # by email too
    assert await _notices(session, admin) == []  # owners are told

    # Longer, then unlimited: deletes less, nobody is told again, the hold stays.
    await client.put("/org", json={"settings": {"retention_days": 365}}, headers=owner.headers)
    unlimited = await client.put("/org", json={"settings": {"retention_days": None}}, headers=owner.headers)
    assert "retention_days" not in unlimited.json()["settings"]
    assert len(await _notices(session, owner)) == 1
    assert await _purge_from(session, owner) == held

    # Shorter again (from unlimited): a new notice and a new week.
    await client.put("/org", json={"settings": {"retention_days": 30}}, headers=owner.headers)
    notices = await _notices(session, owner)
    assert len(notices) == 2 and "30 days" in notices[1].title
    later = await _purge_from(session, owner)
    assert later is not None and later >= held


@pytest.mark.parametrize("days", [0, 7, 31, 10_000, "90", True, [30]])
async def test_only_30_90_365_or_null_are_accepted(
    client: httpx.AsyncClient, owner: Member, days: object
) -> None:
    refused = await client.put("/org", json={"settings": {"retention_days": days}}, headers=owner.headers)
    assert refused.status_code == 422, refused.text


async def test_editors_cannot_change_retention(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    refused = await client.put("/org", json={"settings": {"retention_days": 30}}, headers=editor.headers)
    assert refused.status_code == 403


async def test_the_data_region_is_shown_and_fixed_at_creation(
    client: httpx.AsyncClient, owner: Member
) -> None:
    assert (await client.get("/org", headers=owner.headers)).json()["data_region"] == "us"
    moved = await client.put("/org", json={"data_region": "eu"}, headers=owner.headers)
    assert moved.status_code == 409, moved.text
    assert moved.json()["error"]["code"] == "data_region_fixed"
    assert (await client.get("/org", headers=owner.headers)).json()["data_region"] == "us"
    assert (await client.put("/org", json={"data_region": "us"}, headers=owner.headers)).status_code == 200
    assert (await client.put("/org", json={"data_region": "mars"}, headers=owner.headers)).status_code == 422


async def test_signup_chooses_the_region(client: httpx.AsyncClient) -> None:
    signup = await client.post(
        "/auth/signup",
        json={
            "email": "eu-founder@example.com",
            "password": "correct horse battery",
            "org_name": "Europa",
            "data_region": "eu",
        },
    )
    assert signup.status_code == 201, signup.text
    assert signup.json()["org"]["data_region"] == "eu"
    bad = await client.post(
        "/auth/signup",
        json={
            "email": "nowhere@example.com",
            "password": "correct horse battery",
            "org_name": "Nowhere",
            "data_region": "moon",
        },
    )
    assert bad.status_code == 422


async def test_me_shows_the_held_purge_too(client: httpx.AsyncClient, owner: Member) -> None:
    assert (await client.get("/auth/me", headers=owner.headers)).json()["org"]["retention_purge_from"] is None
    await client.put("/org", json={"settings": {"retention_days": 30}}, headers=owner.headers)
    me = (await client.get("/auth/me", headers=owner.headers)).json()
    assert me["org"]["retention_purge_from"] is not None and me["org"]["settings"]["retention_days"] == 30
