"""Executions and steps written as the engine leaves them, for the analytics tests and benchmark."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.models import Execution, ExecutionStep


def ai_usage(provider: str | None, model: str, tokens_in: int, tokens_out: int, cost: str) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "cost_usd": float(cost),
        "cost_known": True,
        "model": model,
    }
    if provider is not None:
        usage["provider"] = provider
    return {"text": "ok", "usage": usage}


async def add_execution(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    agent_id: uuid.UUID,
    created_at: datetime,
    status: str = "completed",
    triggered_by: str = "manual",
    duration_ms: int | None = 1_000,
    steps: list[dict[str, Any]] = (),  # type: ignore[assignment]
    failed_node: str | None = None,
) -> uuid.UUID:
    """One execution; its totals are the sum of its step rows, as store.finish writes them."""
    tokens = sum(int(step.get("tokens", 0)) for step in steps)
    cost = sum((Decimal(step.get("cost_usd", "0")) for step in steps), Decimal(0))
    execution = Execution(
        org_id=org_id,
        agent_id=agent_id,
        status=status,
        triggered_by=triggered_by,
        created_at=created_at,
        updated_at=created_at,
        started_at=created_at,
        finished_at=created_at + timedelta(milliseconds=duration_ms or 0),
        duration_ms=duration_ms,
        total_tokens=tokens,
        total_cost_usd=cost,
        failed_node=failed_node,
    )
    session.add(execution)
    await session.flush()
    for step in steps:
        session.add(
            ExecutionStep(
                org_id=org_id,
                execution_id=execution.id,
                step_key=step["step_key"],
                node_id=step.get("node_id", step["step_key"].split("/")[0]),
                node_type=step.get("node_type", "ai"),
                status=step.get("status", "completed"),
                output=step.get("output"),
                error_kind=step.get("error_kind"),
                tokens=int(step.get("tokens", 0)),
                cost_usd=Decimal(step.get("cost_usd", "0")),
                finished_at=created_at,
            )
        )
    await session.flush()
    return execution.id
