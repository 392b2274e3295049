"""Audit log entries as the API shows them, and the filters a list or export takes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from agentflow.models import ActorType, AuditLog


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor_id: uuid.UUID | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


class AuditActor(BaseModel):
    type: ActorType
    id: uuid.UUID | None
    email: str | None


class AuditLogPublic(BaseModel):
    id: uuid.UUID
    action: str
    actor: AuditActor
    resource_type: str | None
    resource_id: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: AuditLog) -> AuditLogPublic:
        return cls(
            id=row.id,
            action=row.action,
            actor=AuditActor(type=ActorType(row.actor_type), id=row.actor_id, email=row.actor_email),
            resource_type=row.resource_type,
            resource_id=row.resource_id,
            ip=row.ip,
            user_agent=row.user_agent,
            request_id=row.request_id,
            details=row.details,
            created_at=row.created_at,
        )
