"""Incoming webhooks: find the agent behind a token, check the signature, record a queued execution.

The hot path of high-volume triggers, so it runs on the fast reader (two statements) rather than the ORM.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text

from agentflow.kit.fastread import FastReader, compile_query

SIGNATURE_HEADER = "x-agentflow-signature"
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


def signature_valid(body: bytes, secret: str, header: str | None) -> bool:
    if not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


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
