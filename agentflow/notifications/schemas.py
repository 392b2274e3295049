"""Notification bodies: the list, one item, the email preferences."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field

from agentflow.kit.schemas import InputSchema, Schema, examples


class NotificationPublic(Schema):
    id: uuid.UUID
    kind: str = Field(
        description="`approval.requested`, `usage.threshold`, `payment.failed`, `integration.needs_reauth`, "
        "`retention.scheduled` or `export.finished`."
    )
    title: str
    body: str
    link: str | None = Field(description="A path in the web app (e.g. `/executions/<id>`), or null.")
    read: bool
    created_at: datetime


class NotificationList(Schema):
    items: list[NotificationPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end.")
    unread_count: int = Field(description="The caller's unread notifications in this organization.")


class ReadAllResult(Schema):
    updated: int = Field(description="How many notifications were marked read.")


class EmailChoices(InputSchema):
    """Per kind, whether it may come by email (in-app notifications always appear). Kinds that send no
    email at some level (usage at 80 %) stay in-app whatever this says."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    approval_requested: bool = Field(default=True, alias="approval.requested")
    usage_threshold: bool = Field(default=True, alias="usage.threshold")
    payment_failed: bool = Field(default=True, alias="payment.failed")
    integration_needs_reauth: bool = Field(default=True, alias="integration.needs_reauth")
    webhook_disabled: bool = Field(default=True, alias="webhook.disabled")
    retention_scheduled: bool = Field(default=True, alias="retention.scheduled")
    export_finished: bool = Field(default=True, alias="export.finished")


class NotificationPreferences(InputSchema):
    model_config = examples(
        {
            "email": {
                "approval.requested": True,
                "usage.threshold": False,
                "payment.failed": True,
                "integration.needs_reauth": True,
            }
        }
    )

    email: EmailChoices = Field(default_factory=EmailChoices)
