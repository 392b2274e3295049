"""Signed webhooks: Standard Webhooks, the timestamped X-AgentFlow-Signature, the plain body HMAC; stale and
replayed deliveries are refused. Runs stay queued (no worker serves the API tests' pool)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from agentflow.models import Execution, WebhookDelivery
from tests.factories import Member, create_agent, triage_definition

SECRET = "hook-signing-secret"
BODY = b'{"text": "The export button does nothing"}'
JSON = {"Content-Type": "application/json"}


async def webhook_token(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, *, signing_secret: str | None
) -> tuple[uuid.UUID, str]:
    """A published webhook agent whose trigger names `signing_secret`; its id and URL token."""
    definition = triage_definition()
    definition["nodes"][0]["config"]["signing_secret"] = signing_secret
    agent_id = await create_agent(session, owner, definition=definition)
    published = await client.post(f"/agents/{agent_id}/publish", json={}, headers=owner.headers)
    assert published.status_code == 201, published.text
    url = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()["webhook_url"]
    return agent_id, url.rsplit("/", 1)[1]


@pytest.fixture
async def signed(client: httpx.AsyncClient, session: AsyncSession, owner: Member) -> tuple[uuid.UUID, str]:
    stored = await client.post(
        "/org/secrets", json={"name": "HOOK_KEY", "value": SECRET}, headers=owner.headers
    )
    assert stored.status_code == 201, stored.text
    return await webhook_token(client, session, owner, signing_secret="HOOK_KEY")


def standard_headers(
    body: bytes, *, msg_id: str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at: float | None = None
) -> dict[str, str]:
    """Headers as a Standard Webhooks sender makes them (the library, given the raw secret bytes)."""
    timestamp = datetime.fromtimestamp(time.time() if at is None else at, tz=UTC)
    signature = Webhook(SECRET.encode()).sign(msg_id, timestamp, body.decode())
    return {
        **JSON,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


def stripe_style(body: bytes, *, at: int | None = None, secret: str = SECRET) -> dict[str, str]:
    t = int(time.time()) if at is None else at
    v1 = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {**JSON, "X-AgentFlow-Signature": f"t={t},v1={v1}"}


async def post(
    client: httpx.AsyncClient, token: str, headers: dict[str, str], body: bytes = BODY
) -> httpx.Response:
    return await client.post(f"/hooks/{token}", content=body, headers=headers)


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    return str(error["message"])


async def test_standard_webhooks_signature_is_accepted_once(
    client: httpx.AsyncClient, signed: tuple[uuid.UUID, str]
) -> None:
    _, token = signed
    headers = standard_headers(BODY)
    accepted = await post(client, token, headers)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "queued"
    # Captured and sent again, even re-signed with a fresh timestamp: the delivery id was already seen.
    assert "already received" in refused(await post(client, token, headers), 409, "webhook_replayed")
    again = standard_headers(BODY, at=time.time() + 1)
    refused(await post(client, token, again), 409, "webhook_replayed")
    # Another delivery (a new webhook-id) goes through.
    other = await post(client, token, standard_headers(BODY, msg_id="msg_other"))
    assert other.status_code == 202, other.text


async def test_standard_webhooks_accepts_any_of_several_signatures(
    client: httpx.AsyncClient, signed: tuple[uuid.UUID, str]
) -> None:
    _, token = signed
    headers = standard_headers(BODY)
    stale_key = base64.b64encode(b"\0" * 32).decode()
    headers["webhook-signature"] = f"v1,{stale_key} {headers['webhook-signature']}"
    assert (await post(client, token, headers)).status_code == 202


async def test_standard_webhooks_wrong_signature_or_stale_timestamp_is_401(
    client: httpx.AsyncClient, signed: tuple[uuid.UUID, str]
) -> None:
    _, token = signed
    tampered = await post(client, token, standard_headers(BODY), body=BODY.replace(b"nothing", b"anything"))
    refused(tampered, 401, "invalid_signature")
    garbage = {**standard_headers(BODY), "webhook-signature": "v1"}
    refused(await post(client, token, garbage), 401, "invalid_signature")
    old = standard_headers(BODY, msg_id="msg_old", at=time.time() - 600)
    assert "timestamp too old" in refused(await post(client, token, old), 401, "invalid_signature")
    future = standard_headers(BODY, msg_id="msg_future", at=time.time() + 600)
    assert "timestamp too new" in refused(await post(client, token, future), 401, "invalid_signature")
    # A refused delivery did not use up its id.
    assert (await post(client, token, standard_headers(BODY, msg_id="msg_old"))).status_code == 202


async def test_timestamped_agentflow_signature_is_accepted_once(
    client: httpx.AsyncClient, signed: tuple[uuid.UUID, str]
) -> None:
    _, token = signed
    first = int(time.time())
    headers = stripe_style(BODY, at=first)
    accepted = await post(client, token, headers)
    assert accepted.status_code == 202, accepted.text
    refused(await post(client, token, headers), 409, "webhook_replayed")
    # A new timestamp is a new delivery (relative to the first one's: the clock may have ticked since).
    assert (await post(client, token, stripe_style(BODY, at=first - 1))).status_code == 202


async def test_timestamped_agentflow_signature_refuses_wrong_and_stale(
    client: httpx.AsyncClient, signed: tuple[uuid.UUID, str]
) -> None:
    _, token = signed
    refused(await post(client, token, stripe_style(BODY, secret="not the secret")), 401, "invalid_signature")
    old = stripe_style(BODY, at=int(time.time()) - 301)
    assert "timestamp too old" in refused(await post(client, token, old), 401, "invalid_signature")
    new = stripe_style(BODY, at=int(time.time()) + 600)
    assert "timestamp too new" in refused(await post(client, token, new), 401, "invalid_signature")
    # Moving t without re-signing (to dodge the tolerance or the replay check) breaks the signature.
    headers = stripe_style(BODY)
    v1 = headers["X-AgentFlow-Signature"].split("v1=")[1]
    moved = {**JSON, "X-AgentFlow-Signature": f"t={int(time.time()) + 5},v1={v1}"}
    refused(await post(client, token, moved), 401, "invalid_signature")
    for malformed in ("t=abc,v1=00", "v1=00", "t=1,t=2,v1=00", "sha1=00"):
        refused(
            await post(client, token, {**JSON, "X-AgentFlow-Signature": malformed}), 401, "invalid_signature"
        )


async def test_plain_body_hmac_still_works(client: httpx.AsyncClient, signed: tuple[uuid.UUID, str]) -> None:
    _, token = signed
    good = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert (await post(client, token, {**JSON, "X-AgentFlow-Signature": good})).status_code == 202
    refused(
        await post(client, token, {**JSON, "X-AgentFlow-Signature": "sha256=00"}), 401, "invalid_signature"
    )
    refused(await post(client, token, JSON), 401, "invalid_signature")  # no signature at all


async def test_a_signing_secret_that_is_not_set_refuses_every_request(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    """Fail closed: nothing can be verified, so nothing runs. 401 like any request that cannot be
    authenticated (a sender retrying cannot fix it; the agent's owner must store the secret), with a message
    that says so to whoever reads the sender's delivery log, without naming the org's secret."""
    agent_id, token = await webhook_token(client, session, owner, signing_secret="NEVER_STORED")
    for headers in (JSON, standard_headers(BODY), stripe_style(BODY)):
        message = refused(await post(client, token, headers), 401, "invalid_signature")
        assert "signing secret is not set" in message and "NEVER_STORED" not in message
    assert await session.scalar(select(func.count()).where(Execution.agent_id == agent_id)) == 0
    # Once the owner stores it, the same signed request goes through.
    stored = await client.post(
        "/org/secrets", json={"name": "NEVER_STORED", "value": SECRET}, headers=owner.headers
    )
    assert stored.status_code == 201, stored.text
    assert (await post(client, token, stripe_style(BODY))).status_code == 202


async def test_expired_delivery_ids_are_purged_by_later_deliveries(
    client: httpx.AsyncClient, session: AsyncSession, signed: tuple[uuid.UUID, str]
) -> None:
    agent_id, token = signed
    for n in range(3):
        assert (await post(client, token, standard_headers(BODY, msg_id=f"msg_{n}"))).status_code == 202
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.agent_id == agent_id)
        .values(received_at=func.now() - func.make_interval(0, 0, 0, 0, 1))  # an hour ago
    )
    assert (await post(client, token, standard_headers(BODY, msg_id="msg_new"))).status_code == 202
    kept = await session.scalars(
        select(WebhookDelivery.delivery_id).where(WebhookDelivery.agent_id == agent_id)
    )
    assert list(kept) == ["id:msg_new"]


async def test_unsigned_webhooks_need_no_signature(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    _, token = await webhook_token(client, session, owner, signing_secret=None)
    assert (await post(client, token, JSON)).status_code == 202
