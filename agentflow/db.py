"""Async SQLAlchemy engine and session factory."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from agentflow.config import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    """A fixed-size pool per process.

    No overflow on purpose: overflow connections are opened and closed per burst, and each open costs a
    SCRAM handshake on both sides; under load that churn, not the queries, dominated request time.
    """
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=0,
        pool_timeout=30,
        pool_recycle=1800,
    )


def create_sessionmaker(engine: AsyncEngine, *, autocommit: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions never expire loaded objects on commit, so responses can be built after commit.

    `autocommit=True` is for read requests: no BEGIN/COMMIT round trips, each statement stands alone.
    """
    bind = engine.execution_options(isolation_level="AUTOCOMMIT") if autocommit else engine
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False)
