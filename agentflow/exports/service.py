"""Export rules: which kinds exist, how many may run at once, who downloads, until when."""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents import access
from agentflow.auth.subject import AuthSubject
from agentflow.config import Settings
from agentflow.errors import Conflict, Gone, NotFound
from agentflow.exports.repository import ExportRepository
from agentflow.exports.schemas import ExportCreate, ExportLink
from agentflow.kit.crypto import digest, new_token
from agentflow.kit.pagination import Page
from agentflow.knowledge.storage import FileStore
from agentflow.models import Export, ExportKind, ExportStatus
from agentflow.rbac import Permission

DOWNLOAD_PATH = "/api/v1/exports/{export_id}/download?token={token}"
# An export still pending or running this long after it was requested will not finish (its flow run was
# lost): the daily flow fails it, and it no longer counts toward the org's concurrent exports.
STUCK_AFTER = timedelta(hours=12)


def download_link(export: Export) -> tuple[str, str]:
    """A new download token for the export: (path with the token, the token's digest to store)."""
    token = new_token()
    return DOWNLOAD_PATH.format(export_id=export.id, token=token), digest(token)


class ExportService:
    async def create(
        self, session: AsyncSession, settings: Settings, *, subject: AuthSubject, body: ExportCreate
    ) -> Export:
        """Record a pending export (its flow run is created after the commit)."""
        if body.kind is ExportKind.audit_logs:
            subject.require(Permission.audit_read)  # an export is no way around the audit log's permission
        repo = ExportRepository(session)
        since = datetime.now(UTC) - STUCK_AFTER
        if await repo.count_unfinished(subject.org_id, since=since) >= settings.export_max_concurrent:
            raise Conflict(
                f"{settings.export_max_concurrent} exports of this organization are already under way; "
                "wait for one to finish",
                code="export_limit_reached",
                details={"allowed": settings.export_max_concurrent},
            )
        return await repo.add(
            Export(
                org_id=subject.org_id,
                requested_by=subject.user_id,
                all_agents=access.has_bypass(subject),
                kind=body.kind.value,
                format=body.format.value,
                range_start=body.start,
                range_end=body.end,
                status=ExportStatus.pending.value,
            )
        )

    async def get(self, session: AsyncSession, *, subject: AuthSubject, export_id: uuid.UUID) -> Export:
        """One export of the caller's org (404 for any other org's)."""
        export = await ExportRepository(session).get_in_org(subject.org_id, export_id)
        if export is None:
            raise NotFound.resource("Export", export_id)
        return export

    async def list(
        self, session: AsyncSession, *, subject: AuthSubject, cursor: str | None, limit: int
    ) -> Page[Export]:
        """The org's exports, newest first."""
        repo = ExportRepository(session)
        return await repo.page(repo.readable(subject.org_id), cursor=cursor, limit=limit)

    async def new_link(
        self, session: AsyncSession, settings: Settings, *, subject: AuthSubject, export_id: uuid.UUID
    ) -> ExportLink:
        """A fresh download link (the previous one stops working), valid until the file expires."""
        export = await self.get(session, subject=subject, export_id=export_id)
        self._check_downloadable(export)
        assert export.expires_at is not None
        path, export.token_hash = download_link(export)
        await session.flush()
        return ExportLink(download_url=settings.public_url.rstrip("/") + path, expires_at=export.expires_at)

    async def for_download(self, session: AsyncSession, *, export_id: uuid.UUID, token: str) -> Export:
        """The export this token opens: 404 for a wrong token (or another export's), 410 once expired."""
        export = await ExportRepository(session).by_token_hash(digest(token))
        if export is None or not hmac.compare_digest(str(export.id), str(export_id)):
            raise NotFound("This download link is not valid", code="export_link_invalid")
        self._check_downloadable(export)
        return export

    async def read_file(self, store: FileStore, *, export: Export) -> bytes:
        """The export's file (410 if it is gone from the store, e.g. deleted at expiry meanwhile)."""
        assert export.file_key is not None
        try:
            return await store.get(export.file_key)
        except FileNotFoundError as exc:
            raise Gone(
                "This export's file is no longer there; request a new export", code="export_expired"
            ) from exc

    @staticmethod
    def _check_downloadable(export: Export) -> None:
        if export.status != ExportStatus.succeeded:
            raise Conflict(f"The export is {export.status}, there is no file", code="export_not_ready")
        if export.expires_at is None or export.expires_at <= datetime.now(UTC) or export.file_key is None:
            raise Gone(
                "This export has expired and its file was deleted; request a new export",
                code="export_expired",
            )


export_service = ExportService()
