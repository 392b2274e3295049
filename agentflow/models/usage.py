"""The daily usage rollup: what the analytics endpoints read for completed local days.

One row per org, local day (in the org's time zone), agent, provider and model. Two kinds of row, so that
execution counts are never multiplied by the providers an execution used:

- the execution row (`provider = ''`, `model = ''`): runs, outcomes, durations (sum and duration bucket
  counts, agentflow/analytics/buckets.py), and the agent's own tokens and cost;
- a provider row (`provider` set, `model` = '*'): the tokens and cost of the AI calls to that provider,
  and in `runs` the number of executions that made at least one such call;
- a model row (`provider` and `model` set, `model` possibly ''): the same for one model of the provider
  (summing model rows gives the provider's tokens and cost, not its executions: hence the provider row).

`usage_rollup_days` marks the days rolled up (and in which time zone): a day without its mark is read live
from executions, so the figures are never a day behind and an org that changed its time zone is not read
from days cut at the old midnight.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, Numeric, String, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import Base, utcnow

EXECUTION_ROW = ""  # provider and model of the execution row
ALL_MODELS = "*"  # model of the provider row


class UsageDaily(Base):
    __tablename__ = "usage_daily"

    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    succeeded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    timed_out: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    durations: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # runs with a duration
    duration_ms_total: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    duration_buckets: Mapped[list[int]] = mapped_column(ARRAY(Integer), nullable=False, default=list)
    tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tokens_in: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tokens_out: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(18, 8), nullable=False, default=Decimal(0))


class UsageRollupDay(Base):
    __tablename__ = "usage_rollup_days"

    org_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    rolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
