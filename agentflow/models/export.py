"""Data exports: one file of an org's executions (or audit log) over a date range, written by a Prefect flow
run and downloaded through a link that expires."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import TenantModel


class ExportKind(StrEnum):
    executions = "executions"
    audit_logs = "audit_logs"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


class ExportStatus(StrEnum):
    pending = "pending"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


UNFINISHED_EXPORTS = (ExportStatus.pending.value, ExportStatus.running.value)


class Export(TenantModel):
    __tablename__ = "exports"
    __table_args__ = (
        CheckConstraint("kind IN ('executions', 'audit_logs')", name="kind"),
        CheckConstraint("format IN ('csv', 'json')", name="format"),
        CheckConstraint("status IN ('pending', 'running', 'succeeded', 'failed')", name="status"),
        CheckConstraint("range_end > range_start", name="range"),
        Index("ix_exports_org_id_created_at_id", "org_id", "created_at", "id"),
        # The sweeper's re-dispatch of exports whose flow run was never created (Prefect was down).
        Index(
            "ix_exports_unfinished", "updated_at", postgresql_where=text("status IN ('pending', 'running')")
        ),
    )

    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # False: the requester could not reach every agent (agents:access_all), so an executions export holds
    # only those of agents they may read when it runs (agentflow/agents/access.py).
    all_agents: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default="true")
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    format: Mapped[str] = mapped_column(String(10), nullable=False)
    # Rows created in [range_start, range_end).
    range_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    range_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=ExportStatus.pending)
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The file store key (server-chosen ids only); cleared once the file is deleted at expiry.
    file_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # SHA-256 of the download link's token; the token itself only travels in the requester's link.
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The file and every link to it stop working then.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
