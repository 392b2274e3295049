"""Async SQLAlchemy engine and session factory."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from agentflow.config import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine with a modest pool; the API is stateless so each replica keeps its own."""
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions never expire loaded objects on commit, so responses can be built after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
