"""Invitations (with real SMTP delivery), role changes and last-owner protection."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.email.sender import SMTPSender
from agentflow.embedded.ports import free_port
from agentflow.models import Invitation
from agentflow.rbac import Role
from api.deps import get_email_sender
from tests.factories import PASSWORD, Member, add_member, create_user


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
async def mailbox(app: FastAPI, settings: Settings) -> AsyncIterator[Mailbox]:
    """A real SMTP server on loopback; the API's sender is configured to deliver to it."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    smtp_settings = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )
    app.dependency_overrides[get_email_sender] = lambda: SMTPSender(smtp_settings)
    yield box
    controller.stop()


def link_token(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"/invitations/([A-Za-z0-9_\-]+)", body.decode())
    assert match, body
    return match.group(1)


async def test_invite_email_and_accept_as_new_user(
    client: httpx.AsyncClient, owner: Member, mailbox: Mailbox
) -> None:
    invited = await client.post(
        "/org/members/invite", json={"email": "grace@example.com", "role": "editor"}, headers=owner.headers
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["email_sent"] is True
    await asyncio.sleep(0)
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "grace@example.com"
    assert "Org A" in message["Subject"]
    token = link_token(message)
    assert token == invited.json()["token"]

    preview = await client.get(f"/invitations/{token}")
    assert preview.status_code == 200
    assert preview.json()["org"]["name"] == "Org A" and preview.json()["account_exists"] is False

    no_password = await client.post(f"/invitations/{token}/accept", json={})
    assert no_password.status_code == 422
    accepted = await client.post(
        f"/invitations/{token}/accept", json={"password": PASSWORD, "full_name": "Grace"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "editor" and accepted.json()["org"]["id"] == str(owner.org_id)

    members = await client.get("/org/members", headers=owner.headers)
    assert {m["user"]["email"]: m["role"] for m in members.json()["items"]}["grace@example.com"] == "editor"
    login = await client.post("/auth/login", json={"email": "grace@example.com", "password": PASSWORD})
    assert login.status_code == 200
    assert (await client.post(f"/invitations/{token}/accept", json={"password": PASSWORD})).status_code == 404


async def test_existing_account_accepts_with_password_or_token(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    user = await create_user(session, email="linus@example.com")
    token = (
        await client.post("/org/members/invite", json={"email": "linus@example.com"}, headers=owner.headers)
    ).json()["token"]
    assert (await client.get(f"/invitations/{token}")).json()["account_exists"] is True
    wrong = await client.post(f"/invitations/{token}/accept", json={"password": "not my password"})
    assert wrong.status_code == 401
    accepted = await client.post(f"/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200
    assert accepted.json()["user"]["id"] == str(user.id) and accepted.json()["role"] == "viewer"


async def test_guessing_the_password_of_an_invited_account_is_throttled_like_login(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    await create_user(session, email="linus@example.com")
    token = (
        await client.post("/org/members/invite", json={"email": "linus@example.com"}, headers=owner.headers)
    ).json()["token"]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.5", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as attacker:
        answers = [
            await attacker.post(f"/invitations/{token}/accept", json={"password": f"guess number {n}"})
            for n in range(4)
        ]
        # The test settings lock an email+IP out after 3 failures, as login does.
        assert [a.status_code for a in answers] == [401, 401, 429, 429]
        assert answers[0].json()["error"]["code"] == "invalid_credentials"
        assert int(answers[2].headers["retry-after"]) > 0
        # Locked out: even the right password is not checked from this address.
        right = await attacker.post(f"/invitations/{token}/accept", json={"password": PASSWORD})
        assert right.status_code == 429
        # The failures count for sign-in too: the same throttle guards both doors.
        login = await attacker.post("/auth/login", json={"email": "linus@example.com", "password": PASSWORD})
        assert login.status_code == 429
    # From another address the owner of the account can still accept.
    accepted = await client.post(f"/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text


async def test_invitation_for_someone_else_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    token = (
        await client.post("/org/members/invite", json={"email": "someone@example.com"}, headers=owner.headers)
    ).json()["token"]
    other_org_member = await add_member(session, settings, owner.org_id, Role.viewer)
    response = await client.post(f"/invitations/{token}/accept", json={}, headers=other_org_member.headers)
    assert response.status_code == 403


async def test_expired_revoked_and_reissued_invitations(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    first = (
        await client.post("/org/members/invite", json={"email": "x@example.com"}, headers=owner.headers)
    ).json()
    second = (
        await client.post("/org/members/invite", json={"email": "x@example.com"}, headers=owner.headers)
    ).json()
    # Re-inviting replaces the older link.
    assert (await client.get(f"/invitations/{first['token']}")).status_code == 404
    assert (await client.get(f"/invitations/{second['token']}")).status_code == 200
    pending = await client.get("/org/invitations", headers=owner.headers)
    assert [i["id"] for i in pending.json()["items"]] == [second["id"]]

    row = await session.get(Invitation, second["id"])
    assert row is not None
    row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    await session.flush()
    expired = await client.get(f"/invitations/{second['token']}")
    assert expired.status_code == 404 and expired.json()["error"]["code"] == "invitation_expired"

    third = (
        await client.post("/org/members/invite", json={"email": "y@example.com"}, headers=owner.headers)
    ).json()
    assert (await client.delete(f"/org/invitations/{third['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/invitations/{third['token']}")).status_code == 404


async def test_inviting_an_existing_member_is_409(client: httpx.AsyncClient, owner: Member) -> None:
    response = await client.post("/org/members/invite", json={"email": owner.email}, headers=owner.headers)
    assert response.status_code == 409


async def test_admin_cannot_invite_or_make_owners(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    admin = await add_member(session, settings, owner.org_id, Role.admin)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    invite = await client.post(
        "/org/members/invite", json={"email": "boss@example.com", "role": "owner"}, headers=admin.headers
    )
    assert invite.status_code == 403
    promote = await client.put(
        f"/org/members/{editor.user_id}/role", json={"role": "owner"}, headers=admin.headers
    )
    assert promote.status_code == 403
    demote_owner = await client.put(
        f"/org/members/{owner.user_id}/role", json={"role": "viewer"}, headers=admin.headers
    )
    assert demote_owner.status_code == 403
    remove_owner = await client.delete(f"/org/members/{owner.user_id}", headers=admin.headers)
    assert remove_owner.status_code == 403
    ok = await client.put(
        f"/org/members/{editor.user_id}/role", json={"role": "admin"}, headers=admin.headers
    )
    assert ok.status_code == 200 and ok.json()["role"] == "admin"


async def test_last_owner_cannot_be_demoted_or_removed(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    demote = await client.put(
        f"/org/members/{owner.user_id}/role", json={"role": "admin"}, headers=owner.headers
    )
    assert demote.status_code == 409 and demote.json()["error"]["code"] == "last_owner"
    remove = await client.delete(f"/org/members/{owner.user_id}", headers=owner.headers)
    assert remove.status_code == 409

    second = await add_member(session, settings, owner.org_id, Role.owner)
    assert (
        await client.put(f"/org/members/{owner.user_id}/role", json={"role": "admin"}, headers=second.headers)
    ).status_code == 200
    # Now `second` is the last owner.
    assert (await client.delete(f"/org/members/{second.user_id}", headers=second.headers)).status_code == 409


async def test_member_list_paginates_stably(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    for _ in range(5):
        await add_member(session, settings, owner.org_id, Role.viewer)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/org/members", params=params, headers=owner.headers)).json()
        seen += [m["user"]["id"] for m in page["items"]]
        if cursor is None:
            await add_member(session, settings, owner.org_id, Role.viewer)  # inserted mid-walk: not repeated
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6
    bad = await client.get("/org/members", params={"cursor": "garbage!"}, headers=owner.headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
