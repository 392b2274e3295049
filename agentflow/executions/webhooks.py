"""Incoming webhooks: find the agent behind a token, check the signature, refuse replays, record a queued
execution.

The hot path of high-volume triggers, so it runs on the fast reader rather than the ORM: two statements, and
a third for a timestamped signature (recording its delivery id, which also purges expired ones).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text

from agentflow.executions import webhook_signatures
from agentflow.executions.webhook_signatures import InvalidSignature
from agentflow.errors import Conflict
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore

# Never copied into a run's input: credentials and hop-by-hop noise.
_DROPPED_HEADERS = frozenset(
    {"authorization", "cookie", "x-api-key", "proxy-authorization", "connection", "content-length", "host"}
)

_AGENT = compile_query(
    text(
        """
        SELECT a.id, a.org_id, a.status, v.id AS version_id, v.definition
        FROM agents a JOIN agent_versions v ON v.agent_id = a.id AND v.number = a.current_version
        WHERE a.webhook_token = :token
        """
    )
)
_INSERT = compile_query(
    text(
        """
        INSERT INTO executions (id, org_id, agent_id, version_id, status, triggered_by, idempotency_key,
                                input, attempt, total_tokens, total_cost_usd, created_at, updated_at)
        VALUES (:id, :org_id, :agent_id, :version_id, 'queued', 'webhook', :idempotency_key,
                CAST(CAST(:input AS text) AS jsonb), 1, 0, 0, now(), now())
        ON CONFLICT (agent_id, idempotency_key) DO NOTHING
        RETURNING id
        """
    )
)
# A delivery id is kept while a request repeating it could still pass the timestamp check (its timestamp
# may have been up to the tolerance ahead when first seen), plus a margin for clock skew between servers.
_KEEP_DELIVERIES_SECONDS = (2 * webhook_signatures.TOLERANCE).total_seconds() + 300
# Record the delivery id unless already seen; the same statement purges a few of this agent's expired ids
# (SKIP LOCKED: concurrent deliveries never wait on each other's purge).
_CLAIM = compile_query(
    text(
        """
        WITH expired AS (
            SELECT agent_id, delivery_id FROM webhook_deliveries
            WHERE org_id = :org_id AND agent_id = :agent_id
              AND received_at < now() - make_interval(secs => :keep_seconds)
            ORDER BY received_at LIMIT 20
            FOR UPDATE SKIP LOCKED
        ), purged AS (
            DELETE FROM webhook_deliveries d USING expired e
            WHERE d.agent_id = e.agent_id AND d.delivery_id = e.delivery_id
        )
        INSERT INTO webhook_deliveries (org_id, agent_id, delivery_id, received_at)
        VALUES (:org_id, :agent_id, :delivery_id, now())
        ON CONFLICT (agent_id, delivery_id) DO NOTHING
        RETURNING delivery_id
        """
    )
)
_EXISTING = compile_query(
    text("SELECT id FROM executions WHERE agent_id = :agent_id AND idempotency_key = :idempotency_key")
)


@dataclass(frozen=True)
class WebhookAgent:
    id: uuid.UUID
    org_id: uuid.UUID
    active: bool
    version_id: uuid.UUID
    trigger: dict[str, Any]


async def find_agent(db: FastReader, token: str) -> WebhookAgent | None:
    row = await db.fetchrow(_AGENT, token=token)
    if row is None:
        return None
    trigger = next(
        (n.get("config") or {} for n in row["definition"]["nodes"] if n.get("type") == "trigger"), {}
    )
    return WebhookAgent(
        id=row["id"],
        org_id=row["org_id"],
        active=row["status"] == "active",
        version_id=row["version_id"],
        trigger=trigger,
    )


async def check_signature(
    secrets: SecretStore, agent: WebhookAgent, body: bytes, headers: Mapping[str, str]
) -> str | None:
    """When the trigger names a signing secret, verify the request (401 if it fails) and return the delivery
    id a replay of it would repeat (None for the untimed format, or an unsigned trigger)."""
    secret_name = agent.trigger.get("signing_secret")
    if not secret_name:
        return None
    secret = await secrets.read_value(SecretRef(org_id=agent.org_id, kind=SecretKind.env, name=secret_name))
    if not secret:
        # Not named: the caller is anonymous; the agent's editors see the trigger's secret name.
        raise InvalidSignature("This webhook requires a signature, but its signing secret is not set")
    return webhook_signatures.verify(body, headers, secret).delivery_id


async def claim_delivery(db: FastReader, agent: WebhookAgent, delivery_id: str) -> None:
    """Record a signed delivery; 409 `webhook_replayed` when the same one was already received."""
    claimed = await db.fetchrow(
        _CLAIM,
        org_id=agent.org_id,
        agent_id=agent.id,
        delivery_id=delivery_id,
        keep_seconds=_KEEP_DELIVERIES_SECONDS,
    )
    if claimed is None:
        raise Conflict(
            "This webhook delivery was already received: a replayed signature is refused",
            code="webhook_replayed",
        )


def run_input(body: Any, headers: dict[str, str], query: dict[str, str]) -> dict[str, Any]:
    return {
        "body": body,
        "headers": {k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS},
        "query": query,
    }


async def record(
    db: FastReader, agent: WebhookAgent, input: dict[str, Any], idempotency_key: str | None
) -> tuple[uuid.UUID, bool]:
    """Insert the queued execution; a repeated Idempotency-Key returns the first one (and False)."""
    row = await db.fetchrow(
        _INSERT,
        id=uuid.uuid4(),
        org_id=agent.org_id,
        agent_id=agent.id,
        version_id=agent.version_id,
        idempotency_key=idempotency_key,
        input=orjson.dumps(input, default=str).decode(),
    )
    if row is not None:
        return uuid.UUID(str(row["id"])), True
    existing = await db.fetchrow(_EXISTING, agent_id=agent.id, idempotency_key=idempotency_key)
    assert existing is not None
    return uuid.UUID(str(existing["id"])), False
