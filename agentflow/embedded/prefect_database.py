"""Where the embedded Prefect server keeps its state: a `prefect` database in the embedded Postgres (the
default), or SQLite in `<data-dir>/prefect/prefect.db`.

Postgres is the default because it is faster for Prefect's write-heavy orchestration (measured in
docs/performance.md) and it is what several Prefect API processes need. `AGENTFLOW_PREFECT_DATABASE=sqlite`
keeps the old behaviour.

A data dir made by an earlier release has Prefect's state in SQLite. Moving it to Postgres starts Prefect
with an empty database: AgentFlow re-creates its deployments (agents, schedules, system flows), and
Prefect's old run history stays in the renamed SQLite file. What cannot move is a run still in progress —
a paused approval is a paused flow run in that SQLite file — so while any execution is unfinished, this
start keeps SQLite and says why; a later `agentflow up` moves once they are done. Nothing is deleted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import asyncpg

from agentflow.errors import AgentFlowError

SETTING = "AGENTFLOW_PREFECT_DATABASE"
DATABASE = "prefect"
Backend = Literal["postgres", "sqlite"]


class PrefectDatabaseError(AgentFlowError):
    code = "prefect_database_invalid"


@dataclass(frozen=True)
class PrefectDatabase:
    backend: Backend
    # PREFECT_API_DATABASE_CONNECTION_URL for the server (None: Prefect's SQLite default under PREFECT_HOME).
    connection_url: str | None
    # Said to the operator at start-up (a move done, or deferred and why); None when there is nothing to say.
    notice: str | None = None


def requested_backend() -> Backend:
    value = os.environ.get(SETTING, "postgres").strip().lower() or "postgres"
    if value not in ("postgres", "sqlite"):
        raise PrefectDatabaseError(f"{SETTING} must be 'postgres' or 'sqlite', not {value!r}")
    return value  # type: ignore[return-value]


def sqlite_file(data_dir: Path) -> Path:
    return data_dir / "prefect" / "prefect.db"


def kept_sqlite_file(data_dir: Path) -> Path:
    return data_dir / "prefect" / "prefect.db.before-postgres"


async def unfinished_executions(agentflow_dsn: str) -> int:
    """Executions not yet completed, failed, cancelled or timed out (each may own a live Prefect flow run)."""
    conn = await asyncpg.connect(agentflow_dsn)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM executions WHERE status NOT IN "
            "('completed', 'failed', 'cancelled', 'timed_out')"
        )
    finally:
        await conn.close()
    return int(count or 0)


async def choose(data_dir: Path, *, agentflow_dsn: str, prefect_url: str) -> PrefectDatabase:
    """Decide the backend for this start and move an idle SQLite data dir to Postgres.

    `agentflow_dsn` is AgentFlow's own database (plain `postgresql://`), `prefect_url` the SQLAlchemy URL of
    the `prefect` database (already created)."""
    if requested_backend() == "sqlite":
        return PrefectDatabase("sqlite", None)
    old = sqlite_file(data_dir)
    if not old.exists():
        return PrefectDatabase("postgres", prefect_url)
    unfinished = await unfinished_executions(agentflow_dsn)
    if unfinished:
        return PrefectDatabase(
            "sqlite",
            None,
            notice=(
                f"Prefect stays on SQLite for this start: {unfinished} execution(s) are still in progress "
                "(running, queued or waiting for approval) and their Prefect runs live there. Once they "
                "have finished, the next `agentflow up` moves Prefect to Postgres. "
                f"Set {SETTING}=sqlite to stay on SQLite."
            ),
        )
    kept = kept_sqlite_file(data_dir)
    old.rename(kept)
    for suffix in ("-wal", "-shm"):  # SQLite's journal files belong with the database they journal
        journal = old.with_name(old.name + suffix)
        if journal.exists():
            journal.rename(kept.with_name(kept.name + suffix))
    return PrefectDatabase(
        "postgres",
        prefect_url,
        notice=(
            "Prefect now keeps its state in the embedded Postgres. AgentFlow's agents, executions and "
            "steps are unchanged, and their Prefect deployments and schedules are re-created; Prefect's "
            f"earlier run history is kept in {kept}."
        ),
    )
