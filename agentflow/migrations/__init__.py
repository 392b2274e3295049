"""Alembic migrations, run by `agentflow up`, `agentflow db upgrade` and the test suite."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at this package, usable from any working directory."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (synchronous; runs its own event loop)."""
    command.upgrade(alembic_config(database_url), revision)
