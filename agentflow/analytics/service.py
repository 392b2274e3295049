"""Analytics: the daily rollup of an org-day and the figures of a date range in the org's time zone.

A range is read from usage_daily for the days rolled up (in the org's current time zone) and live from
executions for every other day, today included, so the figures are never a day behind.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents import access
from agentflow.analytics import buckets
from agentflow.analytics.repository import AnalyticsRepository, Cell, Key
from agentflow.analytics.schemas import (
    AgentAnalytics,
    AgentRunSummary,
    AgentTrendPoint,
    CostBreakdown,
    CostGrouping,
    CostItem,
    ErrorCount,
    HistogramBucket,
    Overview,
    Period,
    PreviousPeriod,
    UsagePoint,
    UsageSeries,
)
from agentflow.auth.subject import AuthSubject
from agentflow.errors import NotFound, ValidationFailed
from agentflow.kit.models import utcnow
from agentflow.models import Agent
from agentflow.models.usage import ALL_MODELS, EXECUTION_ROW

MAX_RANGE_DAYS = 400
DEFAULT_RANGE_DAYS = 30
# Days before yesterday the daily rollup rolls again: runs still going at midnight end later.
SETTLE_DAYS = 2
MAX_ERROR_ROWS = 50
DEFAULT_TIMEZONE = "UTC"


def timezone_of(settings: dict[str, Any] | None) -> str:
    """The org's IANA time zone; UTC when unset (or, written before it was validated, unknown)."""
    name = (settings or {}).get("timezone")
    if not isinstance(name, str):
        return DEFAULT_TIMEZONE
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIMEZONE
    return name


def local_midnight(day: date, tz: str) -> datetime:
    """The instant `day` begins in `tz` (what `created_at AT TIME ZONE tz` cuts at)."""
    return datetime(day.year, day.month, day.day, tzinfo=zoneinfo.ZoneInfo(tz))


def local_today(tz: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zoneinfo.ZoneInfo(tz)).date()


def _days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _money(value: Decimal) -> float:
    return float(round(value, 8))


def _totals(cells: Iterable[tuple[Key, Cell]]) -> tuple[Cell, int]:
    total, agents = Cell(), set()
    for (_, agent_id, provider, _), cell in cells:
        if provider == EXECUTION_ROW:
            total.add(cell)
            if cell.runs:
                agents.add(agent_id)
    return total, len(agents)


def _totals_schema(total: Cell, active_agents: int) -> dict[str, Any]:
    return {
        "executions": total.runs,
        "succeeded": total.succeeded,
        "failed": total.failed,
        "timed_out": total.timed_out,
        "success_rate": _ratio(total.succeeded, total.finished),
        "avg_duration_ms": _ratio(total.duration_ms_total, total.durations),
        "p95_duration_ms": buckets.percentile(total.duration_buckets, 0.95),
        "active_agents": active_agents,
        "tokens": total.tokens,
        "tokens_in": total.tokens_in,
        "tokens_out": total.tokens_out,
        "cost_usd": _money(total.cost_usd),
    }


def _period_start(day: date, period: Period) -> date:
    if period is Period.weekly:
        return day - timedelta(days=day.weekday())
    if period is Period.monthly:
        return day.replace(day=1)
    return day


class AnalyticsService:
    async def timezone(self, session: AsyncSession, *, org_id: uuid.UUID) -> str:
        """The org's time zone."""
        return timezone_of(await AnalyticsRepository(session).org_settings(org_id))

    def resolve_range(self, tz: str, first: date | None, last: date | None) -> tuple[date, date]:
        """The inclusive range asked for; the last 30 days ending today by default. 422 when reversed or
        longer than 400 days."""
        if last is None:
            last = local_today(tz) if first is None else min(local_today(tz), first + timedelta(29))
        if first is None:
            first = last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if first > last:
            raise ValidationFailed(f"'from' ({first}) is after 'to' ({last})")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise ValidationFailed(f"The range from {first} to {last} is longer than {MAX_RANGE_DAYS} days")
        return first, last

    async def cells(
        self,
        session: AsyncSession,
        *,
        org_id: uuid.UUID,
        tz: str,
        first: date,
        last: date,
        agent_id: uuid.UUID | None = None,
        hidden: frozenset[uuid.UUID] = frozenset(),
    ) -> dict[Key, Cell]:
        """Every cell of [first, last]: rolled-up days from usage_daily, the others read live; none of the
        `hidden` agents (restricted ones the caller may not read: their figures are theirs)."""
        repo = AnalyticsRepository(session)
        cells, rolled = await repo.rolled(org_id, tz, first, last, agent_id)
        open_days = [day for day in _days(first, min(last, local_today(tz))) if day not in rolled]
        if open_days:
            start, end = local_midnight(open_days[0], tz), local_midnight(open_days[-1] + timedelta(1), tz)
            live = await repo.live(org_id, tz, start, end, agent_id)
            cells.update((key, cell) for key, cell in live.items() if key[0] not in rolled)
        if hidden:
            return {key: cell for key, cell in cells.items() if key[1] not in hidden}
        return cells

    async def overview(
        self, session: AsyncSession, *, subject: AuthSubject, first: date | None, last: date | None
    ) -> Overview:
        """Totals of the range and of the same-length period right before it."""
        tz = await self.timezone(session, org_id=subject.org_id)
        first, last = self.resolve_range(tz, first, last)
        length = (last - first).days + 1
        previous_first, previous_last = first - timedelta(days=length), first - timedelta(days=1)
        hidden = await access.hidden_agent_ids(session, subject=subject)
        cells = await self.cells(
            session, org_id=subject.org_id, tz=tz, first=previous_first, last=last, hidden=hidden
        )
        now = _totals((key, cell) for key, cell in cells.items() if key[0] >= first)
        before = _totals((key, cell) for key, cell in cells.items() if key[0] < first)
        return Overview(
            from_=first,
            to=last,
            timezone=tz,
            **_totals_schema(*now),
            previous=PreviousPeriod(from_=previous_first, to=previous_last, **_totals_schema(*before)),
        )

    async def usage(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        period: Period,
        first: date | None,
        last: date | None,
    ) -> UsageSeries:
        """One zero-filled point per day, ISO week or month of the range, ascending."""
        tz = await self.timezone(session, org_id=subject.org_id)
        first, last = self.resolve_range(tz, first, last)
        hidden = await access.hidden_agent_ids(session, subject=subject)
        cells = await self.cells(session, org_id=subject.org_id, tz=tz, first=first, last=last, hidden=hidden)
        sums: dict[date, Cell] = {}
        for day in _days(first, last):
            sums.setdefault(_period_start(day, period), Cell())
        for (day, _, provider, _), cell in cells.items():
            if provider == EXECUTION_ROW:
                sums[_period_start(day, period)].add(cell)
        points = [
            UsagePoint(
                start=start,
                executions=cell.runs,
                succeeded=cell.succeeded,
                failed=cell.failed,
                timed_out=cell.timed_out,
                tokens=cell.tokens,
                tokens_in=cell.tokens_in,
                tokens_out=cell.tokens_out,
                cost_usd=_money(cell.cost_usd),
                avg_duration_ms=_ratio(cell.duration_ms_total, cell.durations),
            )
            for start, cell in sorted(sums.items())
        ]
        return UsageSeries(period=period, from_=first, to=last, timezone=tz, points=points)

    async def costs(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        group_by: CostGrouping,
        first: date | None,
        last: date | None,
    ) -> CostBreakdown:
        """Cost by agent, provider or model, highest first."""
        tz = await self.timezone(session, org_id=subject.org_id)
        first, last = self.resolve_range(tz, first, last)
        hidden = await access.hidden_agent_ids(session, subject=subject)
        cells = await self.cells(session, org_id=subject.org_id, tz=tz, first=first, last=last, hidden=hidden)
        groups: dict[str, Cell] = defaultdict(Cell)
        names: dict[str, str] = {}
        total = Decimal(0)
        for (_, agent_id, provider, model), cell in cells.items():
            if provider == EXECUTION_ROW:
                total += cell.cost_usd
                if group_by is CostGrouping.agent:
                    groups[str(agent_id)].add(cell)
            elif group_by is CostGrouping.provider and model == ALL_MODELS:
                groups[provider].add(cell)
                names[provider] = provider
            elif group_by is CostGrouping.model and model != ALL_MODELS:
                groups[f"{provider}/{model}"].add(cell)
                names[f"{provider}/{model}"] = model
        if group_by is CostGrouping.agent:
            agent_names = await AnalyticsRepository(session).agent_names(
                subject.org_id, (uuid.UUID(key) for key in groups)
            )
            names = {str(agent_id): name for agent_id, name in agent_names.items()}
        items = [
            CostItem(
                key=key,
                name=names.get(key, key),
                executions=cell.runs,
                tokens=cell.tokens,
                tokens_in=cell.tokens_in,
                tokens_out=cell.tokens_out,
                cost_usd=_money(cell.cost_usd),
            )
            for key, cell in groups.items()
        ]
        items.sort(key=lambda item: (-item.cost_usd, -item.executions, item.key))
        return CostBreakdown(
            group_by=group_by, from_=first, to=last, total_cost_usd=_money(total), items=items
        )

    async def agent(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        agent: Agent,
        first: date | None,
        last: date | None,
    ) -> AgentAnalytics:
        """One agent's summary, daily trend, duration histogram and errors (another org's agent: 404)."""
        if agent.org_id != subject.org_id:
            raise NotFound.resource("Agent", agent.id)
        tz = await self.timezone(session, org_id=subject.org_id)
        first, last = self.resolve_range(tz, first, last)
        cells = await self.cells(
            session, org_id=subject.org_id, tz=tz, first=first, last=last, agent_id=agent.id
        )
        days: dict[date, Cell] = {day: Cell() for day in _days(first, last)}
        for (day, _, provider, _), cell in cells.items():
            if provider == EXECUTION_ROW:
                days[day].add(cell)
        total, _ = _totals(cells.items())
        errors = await AnalyticsRepository(session).errors(
            subject.org_id,
            agent.id,
            local_midnight(first, tz),
            local_midnight(last + timedelta(days=1), tz),
            limit=MAX_ERROR_ROWS,
        )
        figures = _totals_schema(total, 0)
        return AgentAnalytics(
            agent_id=agent.id,
            name=agent.name,
            from_=first,
            to=last,
            timezone=tz,
            summary=AgentRunSummary(**{name: figures[name] for name in AgentRunSummary.model_fields}),
            trend=[
                AgentTrendPoint(
                    date=day,
                    executions=cell.runs,
                    succeeded=cell.succeeded,
                    failed=cell.failed,
                    timed_out=cell.timed_out,
                    success_rate=_ratio(cell.succeeded, cell.finished),
                    cost_usd=_money(cell.cost_usd),
                    avg_cost_usd=_money(cell.cost_usd / cell.runs) if cell.runs else None,
                )
                for day, cell in days.items()
            ],
            duration_histogram=[
                HistogramBucket(le_ms=bound, count=count)
                for bound, count in buckets.histogram(total.duration_buckets)
            ],
            errors=[ErrorCount(error_kind=kind, node_id=node, count=count) for kind, node, count in errors],
        )

    async def rollup_day(self, session: AsyncSession, *, org_id: uuid.UUID, day: date) -> int:
        """Replace the org's rows of local `day` with what its executions say now (the caller commits:
        one transaction per day). The number of rows written."""
        repo = AnalyticsRepository(session)
        tz = timezone_of(await repo.org_settings(org_id))
        start, end = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
        cells = await repo.live(org_id, tz, start, end)
        await repo.replace_day(org_id, day, tz, cells)
        return len(cells)

    async def days_due(
        self, session: AsyncSession, *, org_id: uuid.UUID, now: datetime | None = None
    ) -> list[date]:
        """The org's complete local days to roll up: those after the last one rolled (from its first
        execution, at most 400 days back, when none is), and the last SETTLE_DAYS again."""
        repo = AnalyticsRepository(session)
        tz = timezone_of(await repo.org_settings(org_id))
        yesterday = local_today(tz, now) - timedelta(days=1)
        rolled = await repo.rolled_days(org_id, tz)
        if rolled:
            first = min(rolled[-1] + timedelta(days=1), yesterday - timedelta(days=SETTLE_DAYS - 1))
        else:
            first_at = await repo.first_execution_at(org_id)
            if first_at is None:
                return []
            first = first_at.astimezone(zoneinfo.ZoneInfo(tz)).date()
        first = max(first, yesterday - timedelta(days=MAX_RANGE_DAYS - 1))
        return list(_days(first, yesterday)) if first <= yesterday else []

    async def org_ids(self, session: AsyncSession) -> list[uuid.UUID]:
        """Every organization (the daily rollup's work list)."""
        return await AnalyticsRepository(session).org_ids()


analytics_service = AnalyticsService()
