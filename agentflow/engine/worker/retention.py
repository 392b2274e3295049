"""Checkpoint retention: the Vault checkpoints (checkpoints.py) of executions that ended without completing
are kept `checkpoint_retention_days` for a retry, then deleted.

A completed execution deletes its own at once; one that failed, timed out or was cancelled keeps them for
a retry from the failed node. After the retention the sweeper marks the execution (`checkpoints_purged_at`,
from then on its retry is refused with 409, since the outputs it would reuse are gone), deletes the
checkpoints and clears the steps' `output_in_vault`, so the partial index it scans holds only live
checkpoints. Completed executions whose own deletion failed (Vault was down) are swept the same way.
Runs in every worker's sweeper (with the worker's Vault policy, which may delete checkpoints only).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import text

from agentflow.engine.worker.checkpoints import discard
from agentflow.kit.fastread import FastReader, compile_query

logger = logging.getLogger("agentflow.sweeper")

_BATCH = 50
_EXPIRED = compile_query(
    text(
        """
        SELECT e.id, e.org_id, array_agg(s.step_key ORDER BY s.step_key) AS step_keys
        FROM execution_steps s JOIN executions e ON e.id = s.execution_id
        WHERE s.output_in_vault AND e.checkpoints_purged_at IS NULL
          AND e.status IN ('completed', 'failed', 'cancelled', 'timed_out')
          AND e.finished_at < now() - make_interval(secs => :retention)
        GROUP BY e.id, e.org_id
        LIMIT :limit
        """
    )
)
# Marked first, under the execution's status: a retry that got there first (the execution is queued
# again) keeps its checkpoints, and a retry after this sees the mark and is refused.
_CLAIM = compile_query(
    text(
        """
        UPDATE executions SET checkpoints_purged_at = now()
        WHERE id = :execution_id AND checkpoints_purged_at IS NULL
          AND status IN ('completed', 'failed', 'cancelled', 'timed_out')
        RETURNING id
        """
    )
)
_UNCLAIM = compile_query(text("UPDATE executions SET checkpoints_purged_at = NULL WHERE id = :execution_id"))
_CLEARED = compile_query(
    text(
        "UPDATE execution_steps SET output_in_vault = false "
        "WHERE execution_id = :execution_id AND output_in_vault"
    )
)


async def purge_expired(db: FastReader, *, retention_seconds: float) -> int:
    """Delete the checkpoints of executions that ended more than `retention_seconds` ago; return how many
    executions were purged. Stops at the first Vault failure (the rest waits for the next pass)."""
    purged = 0
    for row in await db.fetch(_EXPIRED, retention=retention_seconds, limit=_BATCH):
        execution_id: uuid.UUID = row["id"]
        if await db.fetchrow(_CLAIM, execution_id=execution_id) is None:
            continue
        try:
            await discard(row["org_id"], execution_id, list(row["step_keys"]))
        except Exception as exc:
            await db.execute(_UNCLAIM, execution_id=execution_id)
            logger.warning("checkpoints of execution %s stay for now: %s", execution_id, exc)
            break
        await db.execute(_CLEARED, execution_id=execution_id)
        purged += 1
    if purged:
        logger.info("removed the Vault checkpoints of %d expired execution(s)", purged)
    return purged
