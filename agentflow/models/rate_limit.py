"""Rate-limit counters shared by every API process (the default store of agentflow/gate/storage.py)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from agentflow.kit.models import Base


class RateLimitCounter(Base):
    """One fixed window of one limit: `key` names the limit and who it counts (an org, an API key)."""

    __tablename__ = "rate_limit_counters"
    # No WAL: a hit commits without waiting for a flush to disk; a crash forgets one minute's counts.
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)
    # Epoch seconds: the window's end, compared with the database's clock.
    expires_at: Mapped[float] = mapped_column(Float, nullable=False)
