"""The events an endpoint may subscribe to, what their payloads hold, and the retry schedule.

Payloads follow Standard Webhooks' shape, `{"type", "timestamp", "data"}`, and carry ids and states, never
run data (inputs, outputs) or credentials: a receiver reads the rest through the API with its own key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

# An error message in a payload is cut to this (it is already masked where it was recorded).
ERROR_MAX = 1000
# The largest payload stored (the bodies are built here, from ids and states, so this is a backstop).
PAYLOAD_MAX_BYTES = 16 * 1024


class WebhookEvent(StrEnum):
    execution_completed = "execution.completed"
    execution_failed = "execution.failed"  # failed or timed out
    execution_paused = "execution.paused"  # waiting for an approval
    agent_published = "agent.published"
    agent_activated = "agent.activated"
    agent_deactivated = "agent.deactivated"  # paused
    webhook_test = "webhook.test"


# The event an execution's final status reports (a cancelled run reports none: someone chose it).
EXECUTION_END_EVENTS = {
    "completed": WebhookEvent.execution_completed,
    "failed": WebhookEvent.execution_failed,
    "timed_out": WebhookEvent.execution_failed,
}


def parse_schedule(text: str) -> tuple[float, ...]:
    """`"5,300,1800"` → the delays (seconds) before the 2nd, 3rd, … attempt."""
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(
            f"webhook_retry_schedule: {text!r} is not a comma-separated list of seconds"
        ) from exc
    if any(d < 0 for d in delays) or len(delays) > 50:
        raise ValueError("webhook_retry_schedule: at most 50 delays, none negative")
    return delays


def payload(event: WebhookEvent, data: dict[str, Any], *, at: datetime | None = None) -> dict[str, Any]:
    """The message body: Standard Webhooks' `type`, `timestamp` (ISO 8601, UTC) and `data`."""
    return {"type": event.value, "timestamp": (at or datetime.now(UTC)).isoformat(), "data": data}


def agent_data(*, agent_id: uuid.UUID, name: str, status: str, version: int | None) -> dict[str, Any]:
    return {"agent_id": str(agent_id), "name": name[:200], "status": status, "version": version}


def test_data(endpoint_id: uuid.UUID) -> dict[str, Any]:
    return {"endpoint_id": str(endpoint_id), "message": "A test event sent from AgentFlow."}


# The rows the engine inserts in the statement that ends or pauses an execution (engine/worker/store.py):
# one pending delivery per enabled endpoint of the org subscribed to `:hook_event`, with the payload built
# from the execution row that statement's `hook_source` CTE returns. Kept here, beside the other payloads,
# so the two stay alike (the error is cut to ERROR_MAX).
EXECUTION_OUTBOX_CTE = """
    hooked AS (
        INSERT INTO webhook_outbound_deliveries (id, org_id, endpoint_id, event, payload, status, attempt,
                                                 next_retry_at, created_at, updated_at)
        SELECT gen_random_uuid(), w.org_id, w.id, CAST(:hook_event AS text),
               jsonb_build_object(
                   'type', CAST(:hook_event AS text),
                   'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                   'data', jsonb_build_object(
                       'execution_id', s.id, 'agent_id', s.agent_id, 'version_id', s.version_id,
                       'status', s.status, 'triggered_by', s.triggered_by,
                       'error', left(s.error, 1000), 'failed_node', s.failed_node,
                       'duration_ms', s.duration_ms)),
               'pending', 0, clock_timestamp(), now(), now()
        FROM hook_source s
        JOIN webhook_endpoints w ON w.org_id = s.org_id AND w.enabled
             AND CAST(:hook_event AS text) = ANY(w.events)
        WHERE CAST(:hook_event AS text) IS NOT NULL
        -- delivered to the delivery flow's LISTEN when the transaction commits (once, however many rows)
        RETURNING id, pg_notify('agentflow_webhooks', '')
    )"""


def with_execution_outbox(head: str, tail: str) -> str:
    """`head` (a WITH list ending in a `hook_source` CTE and a comma), the outbox CTE, then `tail`."""
    return head + EXECUTION_OUTBOX_CTE + tail


# The delivery flow LISTENs on it; every outbox insert NOTIFYs it (delivered when its transaction commits).
CHANNEL = "agentflow_webhooks"
