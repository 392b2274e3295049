"""The pieces of an incoming webhook: what the HTTP edge hands over, the signature check, replay refusal
and the run's input. `triggers.trigger_service.webhook` puts them in order."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from agentflow.errors import Conflict, Forbidden
from agentflow.executions import webhook_signatures
from agentflow.executions.fast_repository import FastExecutionRepository
from agentflow.executions.webhook_signatures import InvalidSignature
from agentflow.gate.network import contains, parse_networks
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore

# Longer tokens are never issued: answered 404 without a lookup.
MAX_TOKEN_LENGTH = 100
# Never copied into a run's input: credentials and hop-by-hop noise.
_DROPPED_HEADERS = frozenset(
    {"authorization", "cookie", "x-api-key", "proxy-authorization", "connection", "content-length", "host"}
)
# A delivery id is kept while a request repeating it could still pass the timestamp check (its timestamp
# may have been up to the tolerance ahead when first seen), plus a margin for clock skew between servers.
KEEP_DELIVERIES_SECONDS = (2 * webhook_signatures.TOLERANCE).total_seconds() + 300


@dataclass(frozen=True)
class WebhookRequest:
    """A request to a webhook URL as the HTTP edge received it. The body is parsed (`parse_body`, which
    may raise a 400) only once the request is known to be for a live webhook and its signature holds."""

    token: str
    body: bytes
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    idempotency_key: str | None
    parse_body: Callable[[], Awaitable[Any]]
    client: str = ""  # the caller's address (behind trusted proxies: what they forwarded)


class DeliveryNotAllowed(Forbidden):
    """A delivery from outside the trigger's `allowed_ips`."""


def check_origin(trigger: Mapping[str, Any], request: WebhookRequest) -> None:
    """403 `ip_not_allowed` when the trigger lists where deliveries may come from and this one did not."""
    allowed = trigger.get("allowed_ips")
    if allowed and not contains(parse_networks(allowed), request.client):
        raise DeliveryNotAllowed(
            f"Deliveries from {request.client or 'this address'} are not allowed for this webhook",
            code="ip_not_allowed",
        )


async def check_signature(
    secrets: SecretStore, org_id: uuid.UUID, trigger: Mapping[str, Any], request: WebhookRequest
) -> str | None:
    """When the trigger names a signing secret, verify the request (401 if it fails) and return the delivery
    id a replay of it would repeat (None for the untimed format, or an unsigned trigger)."""
    secret_name = trigger.get("signing_secret")
    if not secret_name:
        return None
    secret = await signing_secret(secrets, org_id, secret_name)
    return webhook_signatures.verify(request.body, request.headers, secret).delivery_id


async def signing_secret(secrets: SecretStore, org_id: uuid.UUID, name: str | None) -> str:
    """The org secret a trigger signs with; 401 when it is not named or not set."""
    secret = (
        await secrets.read_value(SecretRef(org_id=org_id, kind=SecretKind.env, name=name)) if name else None
    )
    if not secret:
        # Fail closed: nothing can be verified, so nothing runs. Not named: the caller is anonymous; the
        # agent's editors see the trigger's secret name.
        raise InvalidSignature("This webhook requires a signature, but its signing secret is not set")
    return secret


async def claim_delivery(
    repo: FastExecutionRepository, org_id: uuid.UUID, agent_id: uuid.UUID, delivery_id: str
) -> None:
    """Record a signed delivery; 409 `webhook_replayed` when the same one was already received."""
    if not await repo.claim_delivery(org_id, agent_id, delivery_id, keep_seconds=KEEP_DELIVERIES_SECONDS):
        raise Conflict(
            "This webhook delivery was already received: a replayed signature is refused",
            code="webhook_replayed",
        )


def run_input(body: Any, request: WebhookRequest) -> dict[str, Any]:
    """The run's input: `{body, headers, query}`, without credential headers."""
    return {
        "body": body,
        "headers": {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED_HEADERS},
        "query": dict(request.query),
    }
