"""Every analytics query: execution facts read live, the rollup rows, and the rolled-up day marks.

What counts (one definition, used by the rollup and by the live read alike):
- executions created in the window, test runs (`triggered_by = test`) left out; an execution another
  agent started as a tool (`triggered_by = agent`) is an execution of its own agent;
- an execution's own tokens and cost: its totals minus what its child steps carry. The only child rows
  with a cost are agent-tool calls (engine/worker/children.py), whose cost is the sub-execution's, counted
  there; model rounds cost on their AI step's row, so they are never counted twice either;
- AI usage by provider/model: the top-level steps (no `/` in the step key: not model rounds, not tool
  calls) with tokens, cost or an `output.usage`; a step without a provider groups under "unknown".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.analytics import buckets
from agentflow.kit.models import utcnow
from agentflow.models import Agent, Execution, Organization, UsageDaily, UsageRollupDay
from agentflow.models.usage import ALL_MODELS, EXECUTION_ROW

_BOUNDS = "'{" + ",".join(str(b) for b in buckets.BOUNDS_MS) + "}'::int[]"
_FINAL = "('completed', 'failed', 'cancelled', 'timed_out')"
_WINDOW = """
    e.org_id = :org_id AND e.created_at >= :start AND e.created_at < :end AND e.triggered_by <> 'test'
    AND (CAST(:agent_id AS uuid) IS NULL OR e.agent_id = CAST(:agent_id AS uuid))
"""
_EXECUTIONS = text(
    f"""
    WITH ex AS (
        SELECT (e.created_at AT TIME ZONE :tz)::date AS day, e.agent_id, e.status, e.duration_ms,
               e.total_tokens - coalesce(c.tokens, 0) AS tokens,
               e.total_cost_usd - coalesce(c.cost, 0) AS cost
        FROM executions e
        LEFT JOIN LATERAL (
            SELECT sum(s.tokens) AS tokens, sum(s.cost_usd) AS cost FROM execution_steps s
            WHERE s.execution_id = e.id AND (e.total_tokens <> 0 OR e.total_cost_usd <> 0)
              AND strpos(s.step_key, '/') > 0 AND (s.tokens <> 0 OR s.cost_usd <> 0)
        ) c ON true
        WHERE {_WINDOW}
    )
    SELECT day, agent_id,
           CASE WHEN duration_ms IS NULL THEN -1 ELSE width_bucket(duration_ms - 1, {_BOUNDS}) END AS bucket,
           count(*) AS runs,
           count(*) FILTER (WHERE status = 'completed') AS succeeded,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'timed_out') AS timed_out,
           count(*) FILTER (WHERE status IN {_FINAL}) AS finished,
           count(duration_ms) AS durations,
           coalesce(sum(duration_ms), 0) AS duration_ms_total,
           coalesce(sum(tokens), 0) AS tokens,
           coalesce(sum(cost), 0) AS cost_usd
    FROM ex GROUP BY 1, 2, 3
    """,  # noqa: S608 (interpolated: constants only)
)
_NUMBER = (
    "CASE WHEN jsonb_typeof(s.output->'usage'->'{key}') = 'number' "
    "THEN (s.output->'usage'->>'{key}')::numeric ELSE 0 END"
)
# Per provider/model, and per provider alone (model "*"): an execution that called two models of one
# provider is one execution of that provider.
_PROVIDERS = text(
    f"""
    SELECT day, agent_id, provider, CASE WHEN GROUPING(model) = 1 THEN '*' ELSE model END AS model,
           count(DISTINCT execution_id) AS runs, sum(tokens) AS tokens, sum(tokens_in)::bigint AS tokens_in,
           sum(tokens_out)::bigint AS tokens_out, sum(cost_usd) AS cost_usd
    FROM (
        SELECT (e.created_at AT TIME ZONE :tz)::date AS day, e.agent_id, e.id AS execution_id,
               left(coalesce(nullif(s.output->'usage'->>'provider', ''), 'unknown'), 40) AS provider,
               left(coalesce(s.output->'usage'->>'model', ''), 200) AS model,
               s.tokens, {_NUMBER.format(key="input_tokens")} AS tokens_in,
               {_NUMBER.format(key="output_tokens")} AS tokens_out, s.cost_usd
        FROM executions e JOIN execution_steps s ON s.execution_id = e.id
        WHERE {_WINDOW} AND strpos(s.step_key, '/') = 0
          AND (s.tokens <> 0 OR s.cost_usd <> 0 OR jsonb_typeof(s.output->'usage') = 'object')
    ) used
    GROUP BY GROUPING SETS ((day, agent_id, provider, model), (day, agent_id, provider))
    """,  # noqa: S608 (interpolated: constants only)
)
# The failed step's kind for each failed or timed-out execution; a run that timed out as a whole has none.
_ERRORS = text(
    f"""
    SELECT coalesce(k.error_kind, CASE WHEN e.status = 'timed_out' THEN 'timed_out' ELSE 'unknown' END)
               AS error_kind,
           e.failed_node AS node_id, count(*) AS failures
    FROM executions e
    LEFT JOIN LATERAL (
        SELECT s.error_kind FROM execution_steps s
        WHERE s.execution_id = e.id AND s.node_id = e.failed_node AND s.error_kind IS NOT NULL
        ORDER BY s.finished_at DESC NULLS LAST LIMIT 1
    ) k ON true
    WHERE {_WINDOW} AND e.status IN ('failed', 'timed_out')
    GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT :limit
    """,  # noqa: S608 (interpolated: constants only)
)

Key = tuple[date, uuid.UUID, str, str]  # day, agent, provider, model


@dataclass
class Cell:
    """The figures of one usage_daily row (or the same, read live)."""

    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    timed_out: int = 0
    finished: int = 0
    durations: int = 0
    duration_ms_total: int = 0
    duration_buckets: list[int] = field(default_factory=buckets.empty)
    tokens: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)

    def add(self, other: Cell) -> None:
        for name in ("runs", "succeeded", "failed", "timed_out", "finished", "durations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.duration_ms_total += other.duration_ms_total
        buckets.add(self.duration_buckets, other.duration_buckets)
        self.tokens += other.tokens
        self.tokens_in += other.tokens_in
        self.tokens_out += other.tokens_out
        self.cost_usd += other.cost_usd


_CELL_FIELDS = (
    "runs", "succeeded", "failed", "timed_out", "finished", "durations", "duration_ms_total",
    "duration_buckets", "tokens", "tokens_in", "tokens_out", "cost_usd",
)  # fmt: skip


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def org_settings(self, org_id: uuid.UUID) -> dict[str, Any] | None:
        result = await self.session.execute(select(Organization.settings).where(Organization.id == org_id))
        return result.scalar_one_or_none()

    async def org_ids(self) -> list[uuid.UUID]:
        return list((await self.session.execute(select(Organization.id).order_by(Organization.id))).scalars())

    async def first_execution_at(self, org_id: uuid.UUID) -> datetime | None:
        query = select(Execution.created_at).where(Execution.org_id == org_id)
        return (await self.session.execute(query.order_by(Execution.created_at).limit(1))).scalar()

    async def agent_names(self, org_id: uuid.UUID, agent_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        ids = list(agent_ids)
        if not ids:
            return {}
        query = select(Agent.id, Agent.name).where(Agent.org_id == org_id, Agent.id.in_(ids))
        return {row.id: row.name for row in await self.session.execute(query)}

    async def live(
        self, org_id: uuid.UUID, tz: str, start: datetime, end: datetime, agent_id: uuid.UUID | None = None
    ) -> dict[Key, Cell]:
        """The cells of executions created in [start, end), computed from the executions themselves."""
        params = {"org_id": org_id, "tz": tz, "start": start, "end": end, "agent_id": agent_id}
        cells: dict[Key, Cell] = {}
        for row in await self.session.execute(_EXECUTIONS, params):
            cell = cells.setdefault((row.day, row.agent_id, EXECUTION_ROW, EXECUTION_ROW), Cell())
            if row.bucket >= 0:
                counts = buckets.empty()
                counts[row.bucket] = row.durations
            else:
                counts = []
            cell.add(
                Cell(
                    runs=row.runs,
                    succeeded=row.succeeded,
                    failed=row.failed,
                    timed_out=row.timed_out,
                    finished=row.finished,
                    durations=row.durations,
                    duration_ms_total=int(row.duration_ms_total),
                    duration_buckets=counts,
                    tokens=int(row.tokens),
                    cost_usd=Decimal(row.cost_usd),
                )
            )
        for row in await self.session.execute(_PROVIDERS, params):
            used = Cell(
                runs=row.runs,
                tokens=int(row.tokens),
                tokens_in=int(row.tokens_in),
                tokens_out=int(row.tokens_out),
                cost_usd=Decimal(row.cost_usd),
            )
            cells[(row.day, row.agent_id, row.provider, row.model)] = used
            execution = cells.get((row.day, row.agent_id, EXECUTION_ROW, EXECUTION_ROW))
            if execution is not None and row.model == ALL_MODELS:
                execution.tokens_in += used.tokens_in
                execution.tokens_out += used.tokens_out
        return cells

    async def rolled(
        self, org_id: uuid.UUID, tz: str, first: date, last: date, agent_id: uuid.UUID | None = None
    ) -> tuple[dict[Key, Cell], set[date]]:
        """The rollup rows of [first, last] and the days rolled up in time zone `tz`."""
        marks = select(UsageRollupDay.day).where(
            UsageRollupDay.org_id == org_id,
            UsageRollupDay.day.between(first, last),
            UsageRollupDay.timezone == tz,
        )
        days = set((await self.session.execute(marks)).scalars())
        if not days:
            return {}, days
        # Plain columns, not ORM objects: a 90-day overview reads thousands of rows, and building an entity
        # (identity map, change tracking) for each cost more than the query.
        key_columns = (UsageDaily.day, UsageDaily.agent_id, UsageDaily.provider, UsageDaily.model)
        query = select(*key_columns, *(getattr(UsageDaily, name) for name in _CELL_FIELDS)).where(
            UsageDaily.org_id == org_id, UsageDaily.day.between(first, last), UsageDaily.day.in_(marks)
        )
        if agent_id is not None:
            query = query.where(UsageDaily.agent_id == agent_id)
        cells: dict[Key, Cell] = {}
        for day, agent, provider, model, *figures in await self.session.execute(query):
            cells[(day, agent, provider, model)] = Cell(**dict(zip(_CELL_FIELDS, figures, strict=True)))
        return cells, days

    async def rolled_days(self, org_id: uuid.UUID, tz: str) -> list[date]:
        query = select(UsageRollupDay.day).where(
            UsageRollupDay.org_id == org_id, UsageRollupDay.timezone == tz
        )
        return sorted((await self.session.execute(query)).scalars())

    async def replace_day(self, org_id: uuid.UUID, day: date, tz: str, cells: dict[Key, Cell]) -> None:
        """The day's rows replaced by `cells`, and the day marked rolled up in `tz`."""
        await self.session.execute(
            delete(UsageDaily).where(UsageDaily.org_id == org_id, UsageDaily.day == day)
        )
        rows = [
            {
                "org_id": org_id,
                "day": key_day,
                "agent_id": agent_id,
                "provider": provider,
                "model": model,
                **{name: getattr(cell, name) for name in _CELL_FIELDS},
            }
            for (key_day, agent_id, provider, model), cell in cells.items()
            if key_day == day
        ]
        if rows:
            await self.session.execute(insert(UsageDaily), rows)
        mark = pg_insert(UsageRollupDay).values(org_id=org_id, day=day, timezone=tz, rolled_at=utcnow())
        await self.session.execute(
            mark.on_conflict_do_update(
                index_elements=["org_id", "day"], set_={"timezone": tz, "rolled_at": utcnow()}
            )
        )

    async def errors(
        self, org_id: uuid.UUID, agent_id: uuid.UUID, start: datetime, end: datetime, *, limit: int
    ) -> list[tuple[str, str | None, int]]:
        params = {"org_id": org_id, "agent_id": agent_id, "start": start, "end": end, "limit": limit}
        rows = await self.session.execute(_ERRORS, params)
        return [(row.error_kind, row.node_id, int(row.failures)) for row in rows]
