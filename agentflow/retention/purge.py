"""The daily retention purge (flows/retention_purge.py): per org with a retention, executions created before
its cut-off are deleted with their steps, events and logs (foreign keys ON DELETE CASCADE), and the Vault
checkpoints of their steps.

One transaction per batch of executions: the batch's rows are locked (`FOR UPDATE SKIP LOCKED`, so a
second purge running at the same time takes other rows), their checkpoints are deleted from Vault, then the
rows. If Vault fails, the transaction rolls back and the org's rows wait for the next run: a row is never
gone while its checkpoint stays. Only ended executions go (a run still queued, running or paused is kept
until it ends), and never one created at or after the cut-off. Audit logs are not purged: they are the
record of who did what, kept for as long as the organization exists (docs/security.md).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncEngine

from agentflow.engine.worker.checkpoints import checkpoint_ref
from agentflow.secrets.store import SecretStore

logger = logging.getLogger("agentflow.retention")

BATCH = 1000

# Orgs whose retention applies now: a number of days set, and no notice period still running.
_ORGS = text(
    """
    SELECT id, CAST(settings ->> 'retention_days' AS integer) AS days FROM organizations
    WHERE jsonb_typeof(settings -> 'retention_days') = 'number'
      AND (retention_purge_from IS NULL OR retention_purge_from <= :now)
    ORDER BY id
    """
)
_BATCH = text(
    """
    SELECT id FROM executions
    WHERE org_id = :org_id AND created_at < :cutoff
      AND status IN ('completed', 'failed', 'cancelled', 'timed_out')
    ORDER BY created_at, id
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
    """
)
_CHECKPOINTS = text(
    "SELECT execution_id, step_key FROM execution_steps WHERE execution_id = ANY(:ids) AND output_in_vault"
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))
_DELETE = text("DELETE FROM executions WHERE id = ANY(:ids)").bindparams(
    bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))
)


@dataclass
class PurgeReport:
    orgs: int = 0
    executions: int = 0
    checkpoints: int = 0
    batches: int = 0
    failed_orgs: list[str] = field(default_factory=list)


async def purge(
    engine: AsyncEngine,
    store: SecretStore,
    *,
    now: datetime | None = None,
    batch: int = BATCH,
    org_id: uuid.UUID | None = None,
) -> PurgeReport:
    """Purge every org whose retention applies at `now` (or only `org_id`); an org that fails (Vault
    down) is reported and left for the next run, the others go on."""
    now = now or datetime.now(UTC)
    report = PurgeReport()
    async with engine.connect() as conn:
        orgs = (await conn.execute(_ORGS, {"now": now})).all()
    for org, days in orgs:
        if org_id is not None and org != org_id:
            continue
        report.orgs += 1
        try:
            await _purge_org(
                engine, store, org, cutoff=now - timedelta(days=days), batch=batch, report=report
            )
        except Exception as exc:
            logger.warning("retention purge of org %s stopped, the rest waits: %s", org, type(exc).__name__)
            report.failed_orgs.append(str(org))
    if report.executions:
        logger.info("retention purge deleted %d execution(s) of %d org(s)", report.executions, report.orgs)
    return report


async def _purge_org(
    engine: AsyncEngine,
    store: SecretStore,
    org_id: uuid.UUID,
    *,
    cutoff: datetime,
    batch: int,
    report: PurgeReport,
) -> None:
    while True:
        async with engine.begin() as conn:
            ids = list(
                (await conn.execute(_BATCH, {"org_id": org_id, "cutoff": cutoff, "batch": batch})).scalars()
            )
            if not ids:
                return
            for execution_id, step_key in (await conn.execute(_CHECKPOINTS, {"ids": ids})).all():
                await store.delete(checkpoint_ref(org_id, execution_id, step_key))
                report.checkpoints += 1
            await conn.execute(_DELETE, {"ids": ids})
        report.executions += len(ids)
        report.batches += 1
        if len(ids) < batch:
            return
