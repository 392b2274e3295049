"""The billing period usage is counted in: the one place that decides it.

Today it is the calendar month in UTC. Once subscriptions are stored, an org with a Stripe subscription
counts in the subscription's current period instead: pass it as `subscription` (every caller goes through
`current_period`, so that is the only change needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of UTC instants."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def calendar_month(now: datetime) -> Period:
    """The UTC calendar month `now` falls in."""
    now = now.astimezone(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return Period(start, end)


def current_period(now: datetime | None = None, *, subscription: Period | None = None) -> Period:
    """The period usage counts in now: the subscription's current period while it holds, else the month."""
    moment = now if now is not None else datetime.now(UTC)
    if subscription is not None and moment in subscription:
        return subscription
    return calendar_month(moment)
