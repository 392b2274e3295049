"""Outbound webhook bodies and views."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from agentflow.kit.schemas import InputSchema, RecordPublic, Schema, examples
from agentflow.webhooks_out.events import WebhookEvent

URL_MAX = 2048
EVENTS_MAX = len(WebhookEvent)


def _unique(events: list[WebhookEvent]) -> list[WebhookEvent]:
    return list(dict.fromkeys(events))


class WebhookEndpointCreate(InputSchema):
    model_config = examples(
        {
            "url": "https://hooks.example.com/agentflow",
            "events": ["execution.completed", "execution.failed"],
            "description": "Ticketing system",
        }
    )

    url: str = Field(min_length=1, max_length=URL_MAX, description="An absolute http(s) URL.")
    events: list[WebhookEvent] = Field(min_length=1, max_length=EVENTS_MAX)
    description: str = Field(default="", max_length=500)

    _dedupe = field_validator("events")(_unique)


class WebhookEndpointUpdate(InputSchema):
    model_config = examples({"events": ["execution.failed"], "enabled": True})

    url: str | None = Field(default=None, min_length=1, max_length=URL_MAX)
    events: list[WebhookEvent] | None = Field(default=None, min_length=1, max_length=EVENTS_MAX)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None

    @field_validator("events")
    @classmethod
    def _dedupe(cls, events: list[WebhookEvent] | None) -> list[WebhookEvent] | None:
        return None if events is None else _unique(events)


class WebhookEndpointPublic(RecordPublic):
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpointPublic):
    secret: str = Field(description="The signing secret (`whsec_…`): shown this once, never again.")


class WebhookSecretRotated(Schema):
    id: uuid.UUID
    secret: str = Field(description="The new signing secret; the old one stops signing at once.")


class WebhookDeliveryPublic(RecordPublic):
    endpoint_id: uuid.UUID
    event: str
    status: str
    response_status: int | None
    attempt: int
    latency_ms: int | None
    error: str | None
    next_retry_at: datetime | None
    delivered_at: datetime | None
    message_id: str = Field(description="The `webhook-id` header: the same on every attempt and redelivery.")
    payload: dict[str, Any]
