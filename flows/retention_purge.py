"""`retention_purge`: daily, each org's executions past its retention (agentflow/retention/purge.py), the
files of expired exports, and exports that never finished. Scheduled at 02:45 UTC by the
`retention-purge/daily` system deployment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow

from agentflow.config import get_settings
from agentflow.db import create_engine, create_sessionmaker
from agentflow.engine.worker.env import secret_store
from agentflow.exports.runner import expire_files, fail_stuck
from agentflow.exports.storage import export_store
from agentflow.retention.purge import purge


@flow(name="retention-purge", persist_result=False, log_prints=False)
async def retention_purge() -> dict[str, Any]:
    """Purge what every org's retention says; an org that failed (Vault down) fails the run, after the
    others were purged, and is tried again the next day."""
    settings = get_settings()
    engine = create_engine(settings)
    now = datetime.now(UTC)
    try:
        # The worker's Vault policy may delete checkpoints: that is all the purge asks of Vault.
        report = await purge(engine, await secret_store(), now=now)
        sessions = create_sessionmaker(engine)
        expired = await expire_files(sessions, export_store(settings), now=now)
        stuck = await fail_stuck(sessions, now=now)
    finally:
        await engine.dispose()
    if report.failed_orgs:
        raise RuntimeError(
            f"retention purge failed for {len(report.failed_orgs)} org(s): {report.failed_orgs}"
        )
    return {
        "orgs": report.orgs,
        "executions": report.executions,
        "export_files": expired,
        "stuck_exports": stuck,
    }
