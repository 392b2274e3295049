"""Notifications: who gets them, email through a real SMTP server after the commit (never for a rollback),
preferences, reading and paging a member's own list, and every other member's and org's rows out of reach."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.plans import LimitName
from agentflow.config import Settings
from agentflow.email.sender import SMTPSender
from agentflow.embedded.ports import free_port
from agentflow.models import Notification
from agentflow.notifications.delivery import MAX_ATTEMPTS, NotificationMailer
from agentflow.notifications.kinds import Notice, NotificationKind, Recipients
from agentflow.notifications.producers import notify_payment_failed, notify_usage_threshold
from agentflow.notifications.service import notification_service, take_pending_emails
from agentflow.rbac import Role
from api.deps import get_email_sender
from tests.factories import Member, add_member, create_org_with_owner
from tests.support.mailbox import Mailbox, smtp_server, text_of


@pytest.fixture
def mailbox(app: FastAPI, settings: Settings) -> Iterator[Mailbox]:
    with smtp_server() as box:
        smtp = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": box.port, "smtp_starttls": False}
        )
        app.dependency_overrides[get_email_sender] = lambda: SMTPSender(smtp)
        yield box


@pytest.fixture
def mailer(app: FastAPI, settings: Settings, mailbox: Mailbox) -> NotificationMailer:
    """The real sender on the test's connection (what the API and the workers' sweeper run)."""
    smtp = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_starttls": False}
    )
    return NotificationMailer(app.state.reader, SMTPSender(smtp), smtp)


def notice(key: str = "", *, email: bool = False, title: str = "Something happened") -> Notice:
    return Notice(
        kind=NotificationKind.payment_failed,
        title=title,
        body="Details in the app.",
        link="/settings/billing",
        dedupe_key=key or str(uuid.uuid4()),
        email=email,
    )


async def statuses(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(Notification.id, Notification.email_status).where(Notification.id.in_(ids))
    )
    return {row[0]: row[1] for row in rows}


async def test_payment_failed_reaches_owners_and_admins_in_app_and_by_email(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    mailbox: Mailbox,
    mailer: NotificationMailer,
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    ids = await notify_payment_failed(
        session, owner.org_id, "https://invoice.stripe.com/i/acct_1/inv_1", event_id="evt_1"
    )
    assert len(ids) == 2
    # Telling the same event again (a replayed webhook) notifies nobody twice.
    assert await notify_payment_failed(session, owner.org_id, None, event_id="evt_1") == []
    await session.commit()

    assert await mailer.deliver(take_pending_emails(session)) == 2
    assert {m["To"] for m in mailbox.messages} == {owner.email, admin.email}
    message = mailbox.to(admin.email)[0]
    assert message["Subject"] == "A payment failed"
    assert "http://testserver/settings/billing" in text_of(message)
    assert set((await statuses(session, ids)).values()) == {"sent"}
    assert await mailer.deliver(ids) == 0  # sent once only

    listed = await client.get("/notifications", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["unread_count"] == 1 and body["next_cursor"] is None
    (item,) = body["items"]
    assert set(item) == {"id", "kind", "title", "body", "link", "read", "created_at"}
    assert item["kind"] == "payment.failed" and item["link"] == "/settings/billing" and item["read"] is False
    nothing = await client.get("/notifications", headers=editor.headers)
    assert nothing.json() == {"items": [], "next_cursor": None, "unread_count": 0}


async def test_usage_notifies_at_80_in_app_and_at_100_by_email_once_per_period(
    session: AsyncSession, settings: Settings, owner: Member, mailbox: Mailbox, mailer: NotificationMailer
) -> None:
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    period = date(2026, 12, 1)
    at_80 = await notify_usage_threshold(session, owner.org_id, LimitName.executions, 800, 1000, 80, period)
    assert len(at_80) == 1  # the owner; viewers hear nothing of billing
    assert (
        await notify_usage_threshold(session, owner.org_id, LimitName.executions, 850, 1000, 80, period) == []
    )
    again_next_period = await notify_usage_threshold(
        session, owner.org_id, LimitName.executions, 800, 1000, 80, date(2027, 1, 1)
    )
    assert len(again_next_period) == 1
    other_limit = await notify_usage_threshold(session, owner.org_id, LimitName.agents, 8, 10, 80, period)
    assert len(other_limit) == 1
    at_100 = await notify_usage_threshold(
        session, owner.org_id, LimitName.executions, 1000, 1000, 100, period
    )
    await session.commit()
    assert await mailer.deliver(take_pending_emails(session)) == 1
    (message,) = mailbox.messages
    assert message["To"] == owner.email and message["Subject"] == "Plan limit reached: executions this period"
    assert "1,000 of 1,000" in text_of(message)
    assert (await statuses(session, at_80))[at_80[0]] == "none"
    assert (await statuses(session, at_100))[at_100[0]] == "sent"
    assert viewer.email not in {m["To"] for m in mailbox.messages}
    with pytest.raises(ValueError, match="not 50 %"):
        await notify_usage_threshold(session, owner.org_id, LimitName.seats, 5, 10, 50, period)


async def test_preferences_decide_what_is_mailed(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    mailbox: Mailbox,
    mailer: NotificationMailer,
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    defaults = await client.get("/notifications/preferences", headers=admin.headers)
    assert defaults.status_code == 200
    assert defaults.json() == {
        "email": {
            "approval.requested": True,
            "usage.threshold": True,
            "payment.failed": True,
            "integration.needs_reauth": True,
            "webhook.disabled": True,
            "retention.scheduled": True,
            "export.finished": True,
        }
    }
    stored = await client.put(
        "/notifications/preferences", json={"email": {"payment.failed": False}}, headers=admin.headers
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["email"]["payment.failed"] is False and stored.json()["email"]["usage.threshold"]
    assert (await client.get("/notifications/preferences", headers=admin.headers)).json() == stored.json()
    # The owner's choices are their own.
    assert (await client.get("/notifications/preferences", headers=owner.headers)).json() == defaults.json()

    for bad in ({"email": {"execution.finished": True}}, {"email": {"payment.failed": "maybe"}}, {"sms": {}}):
        refused = await client.put("/notifications/preferences", json=bad, headers=admin.headers)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error"]["code"] == "validation_error"

    ids = await notify_payment_failed(session, owner.org_id, None, event_id="evt_prefs")
    await session.commit()
    assert await mailer.deliver(ids) == 1
    assert [m["To"] for m in mailbox.messages] == [owner.email]
    assert sorted((await statuses(session, ids)).values()) == ["sent", "skipped"]
    # Still in the admin's list: preferences choose the email, never the in-app notification.
    assert (await client.get("/notifications", headers=admin.headers)).json()["unread_count"] == 1


async def test_a_rolled_back_change_mails_nothing(
    session: AsyncSession, owner: Member, mailbox: Mailbox, mailer: NotificationMailer
) -> None:
    async with session.begin_nested() as savepoint:
        await notification_service.notify(
            session,
            org_id=owner.org_id,
            recipients=Recipients.users([owner.user_id]),
            notice=notice(email=True),
        )
        await savepoint.rollback()
    pending = take_pending_emails(session)
    assert len(pending) == 1  # the id was handed out, but its row is gone with the change
    assert await mailer.deliver(pending) == 0 and await mailer.deliver_due() == 0
    assert mailbox.messages == []


async def test_an_unreachable_smtp_server_is_retried_then_given_up(
    app: FastAPI, session: AsyncSession, settings: Settings, owner: Member, mailbox: Mailbox
) -> None:
    down = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_starttls": False}
    )
    broken = NotificationMailer(app.state.reader, SMTPSender(down), down)
    ids = await notification_service.notify(
        session, org_id=owner.org_id, recipients=Recipients.users([owner.user_id]), notice=notice(email=True)
    )
    await session.commit()
    assert await broken.deliver(ids) == 0  # logged, never raised
    row = await session.get(Notification, ids[0], populate_existing=True)
    assert row is not None and row.email_status == "pending" and row.email_attempts == 1
    assert await broken.deliver_due() == 0  # not due again yet (backoff)
    for _ in range(MAX_ATTEMPTS - 1):
        await session.execute(
            update(Notification)
            .where(Notification.id == ids[0])
            .values(email_due_at=text("clock_timestamp()"))
        )
        await broken.deliver_due()
    row = await session.get(Notification, ids[0], populate_existing=True)
    assert row is not None and row.email_status == "failed" and row.email_attempts == MAX_ATTEMPTS
    assert mailbox.messages == []


async def test_approvers_resolve_to_the_members_who_may_decide(
    session: AsyncSession, settings: Settings, owner: Member
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    outsider = await create_org_with_owner(session, settings, name="Elsewhere")

    async def told(approvers: list[str]) -> set[uuid.UUID]:
        ids = await notification_service.notify(
            session, org_id=owner.org_id, recipients=Recipients.approvers(approvers), notice=notice()
        )
        rows = await session.execute(select(Notification.user_id).where(Notification.id.in_(ids)))
        return set(rows.scalars())

    assert await told([]) == {owner.user_id, admin.user_id, editor.user_id}
    assert await told(["role:admin"]) == {owner.user_id, admin.user_id}
    assert await told([str(viewer.user_id)]) == {viewer.user_id}
    assert await told([str(outsider.user_id), "not-a-user", "role:wizard"]) == set()


async def test_reading_one_all_and_paging(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    for n in range(25):
        await notification_service.notify(
            session,
            org_id=owner.org_id,
            recipients=Recipients.users([owner.user_id]),
            notice=notice(title=f"n{n}"),
        )
    first = (await client.get("/notifications", headers=owner.headers)).json()
    assert len(first["items"]) == 20 and first["unread_count"] == 25 and first["next_cursor"]
    assert first["items"][0]["title"] == "n24"  # newest first
    rest = (
        await client.get("/notifications", params={"cursor": first["next_cursor"]}, headers=owner.headers)
    ).json()
    assert [i["title"] for i in rest["items"]] == [f"n{n}" for n in range(4, -1, -1)] and rest[
        "next_cursor"
    ] is None

    one = first["items"][0]["id"]
    read = await client.post(f"/notifications/{one}/read", headers=owner.headers)
    assert read.status_code == 200 and read.json()["read"] is True and read.json()["id"] == one
    again = await client.post(f"/notifications/{one}/read", headers=owner.headers)
    assert again.status_code == 200 and again.json()["created_at"] == read.json()["created_at"]
    unread = (
        await client.get(
            "/notifications", params={"unread_only": "true", "limit": 100}, headers=owner.headers
        )
    ).json()
    assert len(unread["items"]) == 24 and one not in {i["id"] for i in unread["items"]}

    everything = await client.post("/notifications/read-all", headers=owner.headers)
    assert everything.status_code == 200 and everything.json() == {"updated": 24}
    assert (await client.post("/notifications/read-all", headers=owner.headers)).json() == {"updated": 0}
    assert (await client.get("/notifications", headers=owner.headers)).json()["unread_count"] == 0

    for params in ({"limit": 101}, {"limit": 0}, {"cursor": "x" * 600}, {"unread_only": "perhaps"}):
        refused = await client.get("/notifications", params=params, headers=owner.headers)
        assert refused.status_code == 422, params
    assert (
        await client.get("/notifications", params={"cursor": "garbage"}, headers=owner.headers)
    ).status_code == 400


async def test_another_members_or_orgs_notification_is_404(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    colleague = await add_member(session, settings, owner.org_id, Role.admin)
    other = await create_org_with_owner(session, settings, name="Org B")
    (theirs,) = await notification_service.notify(
        session, org_id=owner.org_id, recipients=Recipients.users([colleague.user_id]), notice=notice()
    )
    (foreign,) = await notification_service.notify(
        session, org_id=other.org_id, recipients=Recipients.users([other.user_id]), notice=notice()
    )
    for notification_id in (theirs, foreign, uuid.uuid4()):
        response = await client.post(f"/notifications/{notification_id}/read", headers=owner.headers)
        assert response.status_code == 404, response.text
    assert (await client.post("/notifications/read-all", headers=owner.headers)).json() == {"updated": 0}
    row = await session.get(Notification, theirs, populate_existing=True)
    assert row is not None and row.read_at is None  # nobody else's read-all touched it
    # A removed member's notifications go with the membership.
    await session.execute(text("DELETE FROM org_memberships WHERE user_id = :u"), {"u": colleague.user_id})
    assert await session.get(Notification, theirs, populate_existing=True) is None


def test_a_notice_is_bounded_and_its_title_one_line() -> None:
    made = notice(title="Reconnect GitHub:\r\nBcc: everyone@example.com " + "x" * 300)
    assert "\n" not in made.title and "\r" not in made.title and len(made.title) == 200
    assert len(Notice(**{**made.__dict__, "body": "y" * 5000}).body) == 2000
