"""/org/webhooks: endpoints (secret shown once, kept in Vault), URL and event validation, the per-org bound,
the delivery log and redelivery, and another org's ids answering 404."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.models import OutboundWebhookDelivery, WebhookEndpoint
from agentflow.secrets.store import SecretStore
from agentflow.webhooks_out import signing
from tests.factories import Member, create_org_with_owner

HOOK = "http://127.0.0.1:9/hook"  # loopback is allowed by the test settings; nothing is sent in this file


async def _create(client: httpx.AsyncClient, member: Member, **body: Any) -> httpx.Response:
    return await client.post(
        "/org/webhooks", json={"url": HOOK, "events": ["execution.completed"], **body}, headers=member.headers
    )


async def test_create_shows_the_secret_once_and_keeps_it_in_vault(
    client: httpx.AsyncClient, owner: Member, session: AsyncSession, settings: Settings
) -> None:
    created = await _create(client, owner, events=["execution.completed", "execution.failed"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == HOOK and body["events"] == ["execution.completed", "execution.failed"]
    assert body["secret"].startswith("whsec_") and body["enabled"] is True
    # Vault holds it; Postgres does not, and no read shows it again.
    stored = await signing.read_secret(
        SecretStore.from_settings(settings), owner.org_id, uuid.UUID(body["id"])
    )
    assert stored == body["secret"]
    row = (
        await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id == body["id"]))
    ).scalar_one()
    assert body["secret"] not in repr(row.__dict__)
    listed = await client.get("/org/webhooks", headers=owner.headers)
    one = await client.get(f"/org/webhooks/{body['id']}", headers=owner.headers)
    assert body["secret"] not in listed.text and body["secret"] not in one.text
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]

    rotated = await client.post(f"/org/webhooks/{body['id']}/rotate-secret", headers=owner.headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != body["secret"]
    stored = await signing.read_secret(
        SecretStore.from_settings(settings), owner.org_id, uuid.UUID(body["id"])
    )
    assert stored == rotated.json()["secret"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://example.com/x"}, "invalid_webhook_url"),
        ({"url": "/relative"}, "invalid_webhook_url"),
        ({"url": "http://user:pw@127.0.0.1:9/"}, "invalid_webhook_url"),
        ({"url": "http://127.0.0.1:99999/"}, "invalid_webhook_url"),
        ({"url": "http://10.1.2.3/hook"}, "webhook_url_not_allowed"),  # private, not allowlisted
        ({"url": "http://169.254.169.254/latest/meta-data"}, "webhook_url_not_allowed"),
        ({"url": "http://no-such-host.invalid/hook"}, "webhook_url_unresolvable"),
        ({"url": "http://127.0.0.1:9/" + "a" * 2048}, "validation_error"),
        ({"events": ["execution.exploded"]}, "validation_error"),
        ({"events": []}, "validation_error"),
        ({"events": ["webhook.test"] * 50}, "validation_error"),
        ({"description": "d" * 501}, "validation_error"),
        ({"secret": "whsec_mine"}, "validation_error"),  # unknown fields are refused
    ],
)
async def test_bad_urls_and_events_are_422(
    client: httpx.AsyncClient, owner: Member, body: dict[str, Any], code: str
) -> None:
    response = await _create(client, owner, **body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


async def test_the_platforms_own_services_are_refused(
    client: httpx.AsyncClient, owner: Member, settings: Settings
) -> None:
    """Even with loopback allowlisted, the stack's own Vault is never a destination."""
    assert settings.vault_addr
    response = await _create(client, owner, url=f"{settings.vault_addr}/v1/sys/health")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "webhook_url_not_allowed"


async def test_endpoints_per_org_are_bounded(app: FastAPI, client: httpx.AsyncClient, owner: Member) -> None:
    app.state.settings = app.state.settings.model_copy(update={"webhook_max_endpoints": 2})
    for _ in range(2):
        assert (await _create(client, owner)).status_code == 201
    refused = await _create(client, owner)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "too_many_webhook_endpoints"


async def test_update_test_event_log_and_redeliver(
    client: httpx.AsyncClient, owner: Member, session: AsyncSession
) -> None:
    endpoint = (await _create(client, owner)).json()
    updated = await client.put(
        f"/org/webhooks/{endpoint['id']}",
        json={"events": ["agent.published", "agent.published"], "enabled": False, "description": "CRM"},
        headers=owner.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["events"] == ["agent.published"] and updated.json()["enabled"] is False
    refused = await client.put(
        f"/org/webhooks/{endpoint['id']}", json={"url": "http://192.168.1.10/x"}, headers=owner.headers
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "webhook_url_not_allowed"
    for bad in ({"events": []}, {"events": ["nope"]}, {"enabled": "sometimes"}, {"url": ""}):
        assert (
            await client.put(f"/org/webhooks/{endpoint['id']}", json=bad, headers=owner.headers)
        ).status_code == 422

    tested = await client.post(f"/org/webhooks/{endpoint['id']}/test", headers=owner.headers)
    assert tested.status_code == 202, tested.text
    delivery = tested.json()
    assert delivery["event"] == "webhook.test" and delivery["status"] == "pending"
    assert delivery["attempt"] == 0 and delivery["payload"]["type"] == "webhook.test"
    assert delivery["message_id"] == f"msg_{uuid.UUID(delivery['id']).hex}"

    again = await client.post(
        f"/org/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver", headers=owner.headers
    )
    assert again.status_code == 202, again.text
    assert again.json()["message_id"] == delivery["message_id"]  # the same webhook-id: receivers dedupe
    assert again.json()["payload"] == delivery["payload"]

    log = await client.get(f"/org/webhooks/{endpoint['id']}/deliveries?limit=1", headers=owner.headers)
    assert log.status_code == 200, log.text
    assert [item["id"] for item in log.json()["items"]] == [again.json()["id"]]
    rest = await client.get(
        f"/org/webhooks/{endpoint['id']}/deliveries?cursor={log.json()['next_cursor']}", headers=owner.headers
    )
    assert [item["id"] for item in rest.json()["items"]] == [delivery["id"]]
    for key in ("id", "event", "status", "response_status", "attempt", "next_retry_at", "created_at"):
        assert key in rest.json()["items"][0]

    deleted = await client.delete(f"/org/webhooks/{endpoint['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    left = await session.execute(
        select(OutboundWebhookDelivery).where(OutboundWebhookDelivery.endpoint_id == endpoint["id"])
    )
    assert left.scalars().all() == []
    assert (await client.get(f"/org/webhooks/{endpoint['id']}", headers=owner.headers)).status_code == 404


async def test_agent_publish_queues_deliveries_for_subscribers_only(
    client: httpx.AsyncClient, owner: Member, session: AsyncSession
) -> None:
    from agentflow.agents.schemas import EXAMPLE_DEFINITION

    subscribed = (await _create(client, owner, events=["agent.published", "agent.activated"])).json()
    other = (await _create(client, owner, events=["execution.failed"])).json()
    agent = await client.post(
        "/agents", json={"name": "Hooked", "definition": EXAMPLE_DEFINITION}, headers=owner.headers
    )
    published = await client.post(
        f"/agents/{agent.json()['id']}/publish", json={"message": "v1"}, headers=owner.headers
    )
    assert published.status_code == 201, published.text
    paused = await client.put(
        f"/agents/{agent.json()['id']}/status", json={"status": "paused"}, headers=owner.headers
    )
    assert paused.status_code == 200, paused.text

    rows = (
        (await session.execute(select(OutboundWebhookDelivery).order_by(OutboundWebhookDelivery.created_at)))
        .scalars()
        .all()
    )
    mine = [r for r in rows if r.org_id == owner.org_id]
    assert {str(r.endpoint_id) for r in mine} == {subscribed["id"]} and other["id"]
    assert sorted(r.event for r in mine) == ["agent.activated", "agent.published"]  # paused: not subscribed
    published_row = next(r for r in mine if r.event == "agent.published")
    assert published_row.payload["data"] == {
        "agent_id": agent.json()["id"],
        "name": "Hooked",
        "status": "active",
        "version": 1,
    }
    assert published_row.status == "pending" and published_row.next_retry_at is not None


async def test_another_orgs_endpoints_and_deliveries_are_404(
    client: httpx.AsyncClient, owner: Member, session: AsyncSession, settings: Settings
) -> None:
    """The cross-tenant attack: org B's endpoint ids, and B's delivery ids under A's own endpoint."""
    other = await create_org_with_owner(session, settings, name="Org B Secret Name")
    theirs = (await _create(client, other)).json()
    their_delivery = (await client.post(f"/org/webhooks/{theirs['id']}/test", headers=other.headers)).json()
    mine = (await _create(client, owner)).json()
    attempts = [
        ("GET", f"/org/webhooks/{theirs['id']}", None),
        ("PUT", f"/org/webhooks/{theirs['id']}", {"enabled": False}),
        ("DELETE", f"/org/webhooks/{theirs['id']}", None),
        ("POST", f"/org/webhooks/{theirs['id']}/test", None),
        ("POST", f"/org/webhooks/{theirs['id']}/rotate-secret", None),
        ("GET", f"/org/webhooks/{theirs['id']}/deliveries", None),
        ("POST", f"/org/webhooks/{theirs['id']}/deliveries/{their_delivery['id']}/redeliver", None),
        ("POST", f"/org/webhooks/{mine['id']}/deliveries/{their_delivery['id']}/redeliver", None),
    ]
    for method, path, body in attempts:
        response = await client.request(method, path, json=body, headers=owner.headers)
        assert response.status_code == 404, f"{method} {path}: {response.text}"
        assert "Org B" not in response.text
    listed = await client.get("/org/webhooks", headers=owner.headers)
    assert [item["id"] for item in listed.json()["items"]] == [mine["id"]]
    # Their secret was not rotated by the attempt.
    stored = await signing.read_secret(
        SecretStore.from_settings(settings), other.org_id, uuid.UUID(theirs["id"])
    )
    assert stored == theirs["secret"]
