"""Webhook endpoint rules: validated URLs, a bounded count per org, a secret in Vault shown once, the
delivery log and redelivery. Deliveries themselves are sent by the delivery flow (delivery.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.egress import EgressPolicy, EgressRefused
from agentflow.errors import Conflict, NotFound, ValidationFailed
from agentflow.kit.pagination import Page
from agentflow.models import DeliveryStatus, OutboundWebhookDelivery, WebhookEndpoint
from agentflow.secrets.store import SecretStore
from agentflow.webhooks_out import signing
from agentflow.webhooks_out.events import WebhookEvent, payload, test_data
from agentflow.webhooks_out.repository import WebhookDeliveryRepository, WebhookEndpointRepository
from agentflow.webhooks_out.schemas import (
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)

RESOLVE_TIMEOUT_SECONDS = 5.0


async def check_url(policy: EgressPolicy, url: str) -> str:
    """An absolute http(s) URL, without credentials, whose host the egress guard lets through now (every
    delivery is checked again when it connects: a host may resolve elsewhere later)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("The webhook URL must be an absolute http(s) URL", code="invalid_webhook_url")
    if parts.username or parts.password:
        raise ValidationFailed(
            "The webhook URL must not carry a user name or password", code="invalid_webhook_url"
        )
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise ValidationFailed("The webhook URL has an invalid port", code="invalid_webhook_url") from None
    try:
        await policy.resolve(parts.hostname, port, timeout=RESOLVE_TIMEOUT_SECONDS)
    except EgressRefused as exc:
        raise ValidationFailed(exc.message, code="webhook_url_not_allowed") from None
    except (OSError, TimeoutError):
        raise ValidationFailed(
            f"The webhook URL's host {parts.hostname!r} cannot be resolved", code="webhook_url_unresolvable"
        ) from None
    return url


def delivery_public(row: OutboundWebhookDelivery) -> WebhookDeliveryPublic:
    return WebhookDeliveryPublic(
        id=row.id,
        created_at=row.created_at,
        endpoint_id=row.endpoint_id,
        event=row.event,
        status=row.status,
        response_status=row.response_status,
        attempt=row.attempt,
        latency_ms=row.latency_ms,
        error=row.error,
        next_retry_at=row.next_retry_at,
        delivered_at=row.delivered_at,
        message_id=signing.message_id(row.message_id or row.id),
        payload=row.payload,
    )


class WebhookEndpointService:
    async def list(
        self, session: AsyncSession, *, subject: AuthSubject, cursor: str | None, limit: int
    ) -> Page[WebhookEndpoint]:
        """The org's endpoints, newest first."""
        repo = WebhookEndpointRepository(session)
        return await repo.page(repo.readable(subject.org_id), cursor=cursor, limit=limit)

    async def get(
        self, session: AsyncSession, *, subject: AuthSubject, endpoint_id: uuid.UUID
    ) -> WebhookEndpoint:
        """One endpoint of the caller's org (404 for any other org's)."""
        endpoint = await WebhookEndpointRepository(session).get_in_org(subject.org_id, endpoint_id)
        if endpoint is None:
            raise NotFound.resource("Webhook endpoint", endpoint_id)
        return endpoint

    async def create(
        self,
        session: AsyncSession,
        store: SecretStore,
        policy: EgressPolicy,
        *,
        subject: AuthSubject,
        body: WebhookEndpointCreate,
        max_endpoints: int,
    ) -> tuple[WebhookEndpoint, str]:
        """Add an endpoint and its signing secret (returned this once)."""
        repo = WebhookEndpointRepository(session)
        if await repo.count(subject.org_id) >= max_endpoints:
            raise Conflict(
                f"An organization may have at most {max_endpoints} webhook endpoints",
                code="too_many_webhook_endpoints",
                details={"allowed": max_endpoints},
            )
        url = await check_url(policy, body.url)
        endpoint = await repo.add(
            WebhookEndpoint(
                org_id=subject.org_id,
                url=url,
                events=[e.value for e in body.events],
                description=body.description,
                created_by=subject.user_id,
            )
        )
        # Row first, Vault second: a Vault failure (503) rolls the row back (agentflow/secrets/AGENTS.md).
        secret = signing.new_secret()
        await signing.store_secret(store, subject.org_id, endpoint.id, secret)
        return endpoint, secret

    async def update(
        self,
        session: AsyncSession,
        policy: EgressPolicy,
        *,
        subject: AuthSubject,
        endpoint_id: uuid.UUID,
        body: WebhookEndpointUpdate,
    ) -> WebhookEndpoint:
        """Change the URL, events, description or enabled flag (enabling clears the failure record)."""
        endpoint = await self.get(session, subject=subject, endpoint_id=endpoint_id)
        if body.url is not None and body.url != endpoint.url:
            endpoint.url = await check_url(policy, body.url)
        if body.events is not None:
            endpoint.events = [e.value for e in body.events]
        if body.description is not None:
            endpoint.description = body.description
        if body.enabled is not None and body.enabled != endpoint.enabled:
            endpoint.enabled = body.enabled
            if body.enabled:
                endpoint.disabled_reason = None
                endpoint.failing_since = None
        await session.flush()
        return endpoint

    async def delete(
        self, session: AsyncSession, store: SecretStore, *, subject: AuthSubject, endpoint_id: uuid.UUID
    ) -> None:
        """Delete an endpoint, its delivery log and its secret."""
        endpoint = await self.get(session, subject=subject, endpoint_id=endpoint_id)
        await WebhookEndpointRepository(session).delete(endpoint)
        await signing.delete_secret(store, subject.org_id, endpoint.id)

    async def rotate_secret(
        self, session: AsyncSession, store: SecretStore, *, subject: AuthSubject, endpoint_id: uuid.UUID
    ) -> str:
        """A new signing secret (returned this once); deliveries from now on are signed with it."""
        endpoint = await self.get(session, subject=subject, endpoint_id=endpoint_id)
        secret = signing.new_secret()
        await signing.store_secret(store, subject.org_id, endpoint.id, secret)
        return secret

    async def send_test(
        self, session: AsyncSession, *, subject: AuthSubject, endpoint_id: uuid.UUID
    ) -> OutboundWebhookDelivery:
        """Queue a `webhook.test` delivery to this endpoint (whatever it subscribes to, enabled or not)."""
        endpoint = await self.get(session, subject=subject, endpoint_id=endpoint_id)
        event = WebhookEvent.webhook_test
        (made,) = await WebhookDeliveryRepository(session).queue(
            [_row(endpoint, event, payload(event, test_data(endpoint.id)))]
        )
        return made

    async def deliveries(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        endpoint_id: uuid.UUID,
        cursor: str | None,
        limit: int,
    ) -> Page[OutboundWebhookDelivery]:
        """The endpoint's delivery log, newest first."""
        endpoint = await self.get(session, subject=subject, endpoint_id=endpoint_id)
        return await WebhookDeliveryRepository(session).of_endpoint(
            subject.org_id, endpoint.id, cursor=cursor, limit=limit
        )

    async def redeliver(
        self, session: AsyncSession, *, subject: AuthSubject, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
    ) -> OutboundWebhookDelivery:
        """Send a delivery's message again, as a new delivery with the same `webhook-id` and payload."""
        endpoint = await self.get(session, subject=subject, endpoint_id=endpoint_id)
        repo = WebhookDeliveryRepository(session)
        original = await repo.get_in_org(subject.org_id, delivery_id)
        if original is None or original.endpoint_id != endpoint.id:
            raise NotFound.resource("Webhook delivery", delivery_id)
        row = _row(endpoint, WebhookEvent(original.event), original.payload)
        row["message_id"] = original.message_id or original.id
        (made,) = await repo.queue([row])
        return made


def _row(endpoint: WebhookEndpoint, event: WebhookEvent, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "org_id": endpoint.org_id,
        "endpoint_id": endpoint.id,
        "event": event.value,
        "payload": body,
        "status": DeliveryStatus.pending.value,
        "attempt": 0,
        "next_retry_at": datetime.now(UTC),  # due at once
    }


async def emit(
    session: AsyncSession, *, org_id: uuid.UUID, event: WebhookEvent, data: dict[str, Any]
) -> Sequence[OutboundWebhookDelivery]:
    """Queue `event` for every enabled endpoint of the org subscribed to it, in the caller's transaction
    (the outbox: nothing is sent unless the change commits, nothing committed is lost)."""
    endpoints = await WebhookEndpointRepository(session).subscribed(org_id, event.value)
    body = payload(event, data)
    return await WebhookDeliveryRepository(session).queue([_row(e, event, body) for e in endpoints])


webhook_endpoint_service = WebhookEndpointService()
