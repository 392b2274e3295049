"""Executions (one run of an agent), their steps, their event stream and their logs.

AgentFlow's Postgres is the record users see; Prefect is the scheduler and operator view. Every execution
points at its Prefect flow run (`prefect_flow_run_id`), and every row here is written with secrets masked.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import Base, TenantModel, utcnow


class ExecutionStatus(StrEnum):
    queued = "queued"
    running = "running"
    paused = "paused"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"
    timed_out = "timed_out"


FINAL_STATUSES = frozenset(
    {ExecutionStatus.completed, ExecutionStatus.failed, ExecutionStatus.cancelled, ExecutionStatus.timed_out}
)


class TriggeredBy(StrEnum):
    manual = "manual"
    api = "api"
    webhook = "webhook"
    schedule = "schedule"
    test = "test"
    agent = "agent"  # another agent's AI step ran it as a tool


class Execution(TenantModel):
    __tablename__ = "executions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'timed_out')",
            name="status",
        ),
        UniqueConstraint("agent_id", "idempotency_key"),
        Index("ix_executions_org_id_created_at_id", "org_id", "created_at", "id"),
        Index("ix_executions_org_id_agent_id_created_at", "org_id", "agent_id", "created_at"),
        Index("ix_executions_org_id_status", "org_id", "status"),
        # The sweepers' periodic scans of unfinished executions (engine/worker/reconcile.py, dispatch).
        Index(
            "ix_executions_unfinished",
            "updated_at",
            "id",
            postgresql_where=text("status IN ('queued', 'running', 'paused')"),
        ),
        CheckConstraint("lane IN ('standard', 'fast')", name="lane"),
        Index(
            "uq_executions_prefect_flow_run_id",
            "prefect_flow_run_id",
            unique=True,
            postgresql_where=text("lane = 'standard'"),
        ),
        # The fast lane's claim: the oldest queued fast executions no worker has taken yet.
        Index(
            "ix_executions_fast_queue",
            "created_at",
            postgresql_where=text("status = 'queued' AND lane = 'fast' AND prefect_flow_run_id IS NULL"),
        ),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agent_versions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Test runs execute the draft, frozen here at trigger time (json like agent_versions: key order kept).
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    # A test run's choices per side-effecting node: {node_id: {mode: preview|sample|send, sample}}.
    test_options: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=ExecutionStatus.queued)
    # `fast`: run by a worker's fast lane (engine/worker/fast_lane.py), from the version's execution_mode.
    lane: Mapped[str] = mapped_column(
        String(10), nullable=False, default="standard", server_default="standard"
    )
    triggered_by: Mapped[str] = mapped_column(String(20), nullable=False)
    triggered_by_user: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    input: Mapped[Any] = mapped_column(JSONB, nullable=True)
    output: Mapped[Any] = mapped_column(JSONB, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failed_node: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # While paused for a human: {node_id, step_key, message, approvers, deadline, on_timeout, input_schema}.
    waiting_for: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    total_cost_usd: Mapped[Decimal] = mapped_column(
        Numeric(18, 8), nullable=False, default=Decimal(0), server_default="0"
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    # One execution per flow run, except a fast lane's run, which holds many (the partial unique index).
    prefect_flow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # Set by the checkpoint retention sweep (engine/worker/retention.py): the Vault checkpoints a retry would
    # reuse are gone, so a retry is refused.
    checkpoints_purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ExecutionStep(TenantModel):
    """One node's run inside an execution (a loop body node has one step per item: `node[0]`, `node[1]`…)."""

    __tablename__ = "execution_steps"
    __table_args__ = (
        UniqueConstraint("execution_id", "step_key"),
        # The few steps whose output is checkpointed in Vault: what the retention sweep looks through.
        Index("ix_execution_steps_in_vault", "execution_id", postgresql_where=text("output_in_vault")),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("executions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    step_key: Mapped[str] = mapped_column(String(300), nullable=False)
    node_id: Mapped[str] = mapped_column(String(64), nullable=False)
    node_type: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    input: Mapped[Any] = mapped_column(JSONB, nullable=True)
    output: Mapped[Any] = mapped_column(JSONB, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # transient / permanent / cancelled / timed_out (agentflow/nodes/errors.py) when the step failed
    error_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    cost_usd: Mapped[Decimal] = mapped_column(
        Numeric(18, 8), nullable=False, default=Decimal(0), server_default="0"
    )
    # What a resumed or retried run needs to reuse a completed step instead of running it again: the
    # branch handles it took, and whether its unmasked output (it held a secret) is checkpointed in Vault.
    handles: Mapped[Any] = mapped_column(JSONB, nullable=True)
    output_in_vault: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )


class ExecutionEvent(Base):
    """The live stream, persisted: a late subscriber replays it from the start."""

    __tablename__ = "execution_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("executions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    node_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    data: Mapped[Any] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class ExecutionLog(Base):
    __tablename__ = "execution_logs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("executions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    level: Mapped[str] = mapped_column(String(10), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    node_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
