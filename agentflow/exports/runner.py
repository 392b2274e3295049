"""One export's run, in the worker (flows/run_export.py): claim it, write its file, record the outcome and
tell the requester, in the transaction that records it (the notification's email goes after the commit).

Claimed `pending` → `running` under a row lock, so a second flow run of the same export (a re-dispatch)
does nothing. A run that crashed or was cancelled is ended `failed` by the flow's hooks (`fail_runs`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentflow.config import Settings
from agentflow.exports import files
from agentflow.exports.service import STUCK_AFTER, download_link
from agentflow.exports.storage import export_key
from agentflow.knowledge.storage import FileStore
from agentflow.models import Export, ExportFormat, ExportKind, ExportStatus
from agentflow.notifications.producers import export_finished_notice, notify_export_finished

logger = logging.getLogger("agentflow.exports")

_FAIL_RUNS = text(
    """
    UPDATE exports SET status = 'failed', error = :error, finished_at = now(), updated_at = now()
    WHERE flow_run_id = ANY(:ids) AND status IN ('pending', 'running')
    """
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


@dataclass(frozen=True)
class Outcome:
    status: ExportStatus
    row_count: int
    notifications: list[uuid.UUID]


async def run_export(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    store: FileStore,
    export_id: uuid.UUID,
    *,
    flow_run_id: uuid.UUID | None = None,
) -> Outcome | None:
    """Make the export's file; None when there was nothing to do (gone, or claimed by another run)."""
    async with sessions() as session, session.begin():
        export = await session.get(Export, export_id, with_for_update=True)
        if export is None or export.status != ExportStatus.pending:
            return None
        export.status = ExportStatus.running.value
        export.flow_run_id = flow_run_id
        org_id, kind, fmt = export.org_id, ExportKind(export.kind), ExportFormat(export.format)
        start, end = export.range_start, export.range_end
        reader, all_agents = export.requested_by, export.all_agents
    try:
        async with sessions() as session:
            names, pages = await files.rows(
                session, kind, org_id, start, end, reader=reader, all_agents=all_agents
            )
            writer = files.FileWriter(fmt, names, max_bytes=settings.export_max_bytes)
            async for page in pages:
                for row in page:
                    writer.add(row)
        data = writer.finish()
        key = export_key(org_id, export_id, fmt.value)
        await store.put(key, data)
    except files.ExportTooLarge as exc:
        return await _finish(sessions, export_id, error=str(exc))
    except Exception as exc:
        # The exception's text may quote rows: only its type is recorded (the worker's log has the rest).
        logger.exception("export %s failed", export_id)
        await _finish(sessions, export_id, error=f"The export failed ({type(exc).__name__}); try again")
        raise
    return await _finish(
        sessions,
        export_id,
        key=key,
        size=len(data),
        count=writer.count,
        expires_at=datetime.now(UTC) + timedelta(hours=settings.export_link_hours),
    )


async def _finish(
    sessions: async_sessionmaker[AsyncSession],
    export_id: uuid.UUID,
    *,
    error: str | None = None,
    key: str | None = None,
    size: int = 0,
    count: int = 0,
    expires_at: datetime | None = None,
) -> Outcome:
    async with sessions() as session, session.begin():
        export = await session.get(Export, export_id, with_for_update=True)
        if export is None:  # the org was deleted meanwhile
            return Outcome(ExportStatus.failed, 0, [])
        export.finished_at = datetime.now(UTC)
        link = None
        if error is None:
            export.status = ExportStatus.succeeded.value
            export.file_key, export.size_bytes, export.row_count = key, size, count
            export.expires_at = expires_at
            link, export.token_hash = download_link(export)
        else:
            export.status, export.error = ExportStatus.failed.value, error
        notice = export_finished_notice(
            export_id=export.id,
            kind=export.kind,
            succeeded=error is None,
            link=link,
            expires_at=expires_at,
        )
        made = await notify_export_finished(
            session, org_id=export.org_id, requested_by=export.requested_by, notice=notice
        )
        return Outcome(ExportStatus(export.status), count, made)


async def fail_runs(
    sessions: async_sessionmaker[AsyncSession], flow_run_ids: list[uuid.UUID], error: str
) -> None:
    """End the exports of these flow runs (crashed, cancelled) `failed`, unless they already ended."""
    async with sessions() as session, session.begin():
        await session.execute(_FAIL_RUNS, {"ids": flow_run_ids, "error": error})


async def expire_files(sessions: async_sessionmaker[AsyncSession], store: FileStore, *, now: datetime) -> int:
    """Delete the files of expired exports (the daily retention flow); how many. The record stays, with
    no file and no link."""
    removed = 0
    async with sessions() as session, session.begin():
        expired = (
            await session.execute(
                text(
                    "SELECT id, file_key FROM exports WHERE file_key IS NOT NULL AND expires_at <= :now "
                    "ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED"
                ),
                {"now": now},
            )
        ).all()
        for _, file_key in expired:
            await store.delete(file_key)
            removed += 1
        if expired:
            await session.execute(
                text("UPDATE exports SET file_key = NULL, token_hash = NULL WHERE id = ANY(:ids)").bindparams(
                    bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))
                ),
                {"ids": [row[0] for row in expired]},
            )
    return removed


async def fail_stuck(sessions: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """End `failed` the exports pending or running since before `now - STUCK_AFTER` (the daily flow)."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            text(
                "UPDATE exports SET status = 'failed', error = :error, finished_at = :now, updated_at = :now "
                "WHERE status IN ('pending', 'running') AND created_at <= :before"
            ),
            {"now": now, "before": now - STUCK_AFTER, "error": "The export did not finish; request it again"},
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
