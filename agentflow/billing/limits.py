"""Plan limits: what an org uses against what its plan allows, and the checks before anything is created.

Billing off (no Stripe key, the self-hosted default): every org is on the unlimited `self_hosted` plan and
every check returns before touching the database.

- agents, seats, knowledge_bytes: counted exactly, under a transaction-scoped advisory lock per org and
  limit, so two concurrent creates (or uploads) at the limit cannot both pass; knowledge_bytes are the
  stored bytes plus the upload's.
- executions: counted in the billing period (period.py) without test runs and agent-started runs, which
  are neither counted nor refused. The webhook front door must stay cheap, so each process keeps the
  count it last read per org for a few seconds and counts itself forward; far from the limit that cached
  figure decides, within the last tenth of the allowance every start counts again (one indexed statement).
  There is no lock: concurrent starts right at the limit may each pass, so the plan can be exceeded by the
  number of starts in flight at that moment — a deliberate soft limit on a path that must never queue.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.billing.period import Period, current_period
from agentflow.billing.plans import LimitName, Plan, effective_plan
from agentflow.billing.usage_repository import UsageRepository, count_executions_fast
from agentflow.config import Settings
from agentflow.errors import PlanLimitReached
from agentflow.kit.fastread import FastReader

CACHE_SECONDS = 5.0
_MAX_CACHED_ORGS = 10_000

_WHAT = {
    LimitName.agents: "agents",
    LimitName.executions: "executions this billing period",
    LimitName.knowledge_bytes: "bytes of knowledge storage",
    LimitName.seats: "seats (members and pending invitations)",
}


@dataclass(frozen=True)
class LimitUsage:
    used: int
    limit: int | None


@dataclass(frozen=True)
class Usage:
    plan: Plan
    period: Period
    limits: dict[LimitName, LimitUsage]


@dataclass(frozen=True)
class Crossing:
    """A limit at or past a usage threshold (80 or 100 percent) in `period`; notify once per all three."""

    limit: LimitName
    threshold: int
    used: int
    allowed: int
    period: Period


@dataclass
class _Counted:
    used: int
    at: float


# Told when a check lets usage reach 80 % or 100 % of a limit (the notifications service; it dedupes per
# limit, period and threshold). Injected so billing never imports notifications.
UsageNotifier = Callable[[AsyncSession, uuid.UUID, Crossing], Awaitable[object]]


class PlanLimits:
    """The limit checks of one process (the API, a worker); holds the executions counts it has read."""

    def __init__(
        self,
        *,
        billing_enabled: bool,
        public_url: str,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        notifier: UsageNotifier | None = None,
    ) -> None:
        self.enabled = billing_enabled
        self.notifier = notifier
        # Executions crossings this process has already reported, so the notifier runs once each, not per
        # run (the rarer creates always call it: their transaction may still roll back; it dedupes).
        self._reported: set[tuple[uuid.UUID, str, datetime, int]] = set()
        self.upgrade_url = public_url.rstrip("/") + "/settings/billing"
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._counted: dict[tuple[uuid.UUID, datetime], _Counted] = {}

    @classmethod
    def from_settings(cls, settings: Settings, *, notifier: UsageNotifier | None = None) -> PlanLimits:
        return cls(
            billing_enabled=settings.billing_enabled, public_url=settings.public_url, notifier=notifier
        )

    def plan(self, stored: str) -> Plan:
        """The plan an org with this stored plan is held to."""
        return effective_plan(stored, billing_enabled=self.enabled)

    def period(self, *, now: datetime | None = None, subscription: Period | None = None) -> Period:
        """The billing period now: a paying org's subscription period while it holds, else the month."""
        return current_period(now, subscription=subscription)

    def refusal(self, limit: LimitName, *, used: int, allowed: int) -> PlanLimitReached:
        return PlanLimitReached(
            f"Your plan allows {allowed} {_WHAT[limit]} and {used} are used: upgrade to add more",
            limit=str(limit),
            used=used,
            allowed=allowed,
            upgrade_url=self.upgrade_url,
        )

    async def check(
        self, session: AsyncSession, *, org_id: uuid.UUID, limit: LimitName, adding: int = 1
    ) -> None:
        """402 `plan_limit_reached` unless the org's plan has room for `adding` more of `limit` (for
        knowledge_bytes: bytes). Each limit but executions is locked per org until the transaction ends."""
        if not self.enabled:
            return
        repo = UsageRepository(session)
        stored, subscription = await repo.plan_and_subscription(org_id)
        allowed = self.plan(stored).limits[limit]
        if allowed is None:
            return
        period = self.period(subscription=subscription)
        if limit == LimitName.executions:
            used = await self._check_executions(
                org_id, allowed, period, lambda: repo.count(org_id, limit, period)
            )
        else:
            await repo.lock(org_id, limit)
            used = await repo.count(org_id, limit, period) + adding
            if used > allowed:
                raise self.refusal(limit, used=used - adding, allowed=allowed)
        await self._report(session, org_id, Crossing(limit, 0, used, allowed, period))

    async def _report(self, session: AsyncSession, org_id: uuid.UUID, after: Crossing) -> None:
        """Tell the notifier when usage after this create reached 80 % or 100 % of the allowance."""
        if self.notifier is None or after.allowed <= 0:
            return
        for threshold in (100, 80):
            if after.used * 100 >= after.allowed * threshold:
                key = (org_id, after.limit.value, after.period.start, threshold)
                if key in self._reported:
                    return
                await self.notifier(
                    session, org_id, Crossing(after.limit, threshold, after.used, after.allowed, after.period)
                )
                if after.limit == LimitName.executions:
                    if len(self._reported) >= _MAX_CACHED_ORGS:
                        self._reported.clear()
                    self._reported.add(key)
                return

    async def check_execution_fast(
        self, db: FastReader, *, org_id: uuid.UUID, stored_plan: str, subscription: Period | None = None
    ) -> None:
        """The executions check of the fast paths (webhooks, schedules): the plan came with the agent's
        row, so this adds a statement only when the cached count cannot decide."""
        if not self.enabled:
            return
        allowed = self.plan(stored_plan).limits[LimitName.executions]
        if allowed is None:
            return
        period = self.period(subscription=subscription)
        await self._check_executions(
            org_id, allowed, period, lambda: count_executions_fast(db, org_id, period)
        )

    async def _check_executions(
        self, org_id: uuid.UUID, allowed: int, period: Period, count: Callable[[], Awaitable[int]]
    ) -> int:
        key = (org_id, period.start)
        counted = self._counted.get(key)
        fresh = counted is not None and self._clock() - counted.at < self.cache_seconds
        # A fresh figure decides far from the limit (room to spare) and past it (still refused).
        if counted is None or not fresh or allowed - allowed // 10 <= counted.used < allowed:
            if len(self._counted) >= _MAX_CACHED_ORGS:
                self._counted.clear()
            counted = _Counted(await count(), self._clock())
            self._counted[key] = counted
        if counted.used >= allowed:
            raise self.refusal(LimitName.executions, used=counted.used, allowed=allowed)
        counted.used += 1  # the run about to be recorded
        return counted.used

    async def current_plan(self, session: AsyncSession, *, org_id: uuid.UUID) -> Plan:
        """The plan the org is held to now."""
        return self.plan(await UsageRepository(session).stored_plan(org_id))

    async def usage(self, session: AsyncSession, *, org_id: uuid.UUID) -> Usage:
        """Every limit's figure for the org now against its plan's allowance (None: unlimited)."""
        repo = UsageRepository(session)
        stored, subscription = await repo.plan_and_subscription(org_id)
        plan = self.plan(stored)
        period = self.period(subscription=subscription)
        figures = {
            limit: LimitUsage(used=await repo.count(org_id, limit, period), limit=plan.limits[limit])
            for limit in LimitName
        }
        return Usage(plan=plan, period=period, limits=figures)

    async def crossed_thresholds(self, session: AsyncSession, *, org_id: uuid.UUID) -> list[Crossing]:
        """The limits at or past 80 % or 100 % of the allowance now, each with the highest threshold it
        reached; call it after something counted was created (nothing when billing is off)."""
        if not self.enabled:
            return []
        usage = await self.usage(session, org_id=org_id)
        crossed = []
        for limit, figure in usage.limits.items():
            if not figure.limit:
                continue
            for threshold in (100, 80):
                if figure.used * 100 >= figure.limit * threshold:
                    crossed.append(Crossing(limit, threshold, figure.used, figure.limit, usage.period))
                    break
        return crossed
