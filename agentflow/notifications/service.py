"""A member's notifications and email choices, and `notify`: the one way anything tells people something."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.subject import AuthSubject
from agentflow.errors import NotFound
from agentflow.kit.models import utcnow
from agentflow.models import EmailStatus, Notification
from agentflow.notifications.kinds import Notice, NotificationKind, Recipients
from agentflow.notifications.repository import NotificationRepository, PreferenceRepository
from agentflow.notifications.schemas import (
    EmailChoices,
    NotificationList,
    NotificationPreferences,
    NotificationPublic,
)

# Ids of the notifications this session made that wait for an email, taken after the commit
# (`take_pending_emails`). Harmless after a rollback: the mailer only claims rows that were committed.
_PENDING = "agentflow.notifications.pending_emails"


def public(row: Notification) -> NotificationPublic:
    return NotificationPublic(
        id=row.id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        link=row.link,
        read=row.read_at is not None,
        created_at=row.created_at,
    )


def take_pending_emails(session: AsyncSession) -> list[uuid.UUID]:
    """The notifications this session made that wait for an email; call after the commit (the mail
    sweeper of the workers sends any that nobody delivered)."""
    ids: list[uuid.UUID] = session.info.pop(_PENDING, [])
    return ids


class NotificationService:
    async def notify(
        self, session: AsyncSession, *, org_id: uuid.UUID, recipients: Recipients, notice: Notice
    ) -> list[uuid.UUID]:
        """Notify the recipients in this transaction (nobody twice for the same event); the ids of the
        rows made. Emails go after the commit, never for a change that was rolled back."""
        rows = await NotificationRepository(session).insert_for(org_id, recipients, notice)
        pending = [row_id for row_id, status in rows if status == EmailStatus.pending]
        if pending:
            session.info.setdefault(_PENDING, []).extend(pending)
        return [row_id for row_id, _ in rows]

    async def list(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        unread_only: bool,
        cursor: str | None,
        limit: int,
    ) -> NotificationList:
        """The caller's own notifications in this organization, newest first, with the unread count."""
        repo = NotificationRepository(session)
        page = await repo.page_of_member(
            subject.org_id, subject.user_id, unread_only=unread_only, cursor=cursor, limit=limit
        )
        return NotificationList(
            items=[public(row) for row in page.items],
            next_cursor=page.next_cursor,
            unread_count=await repo.unread_count(subject.org_id, subject.user_id),
        )

    async def mark_read(
        self, session: AsyncSession, *, subject: AuthSubject, notification_id: uuid.UUID
    ) -> Notification:
        """Mark one of the caller's notifications read (anyone else's is not found)."""
        row = await NotificationRepository(session).get_of_member(
            subject.org_id, subject.user_id, notification_id
        )
        if row is None:
            raise NotFound.resource("Notification", notification_id)
        if row.read_at is None:
            row.read_at = utcnow()
            await session.flush()
        return row

    async def mark_all_read(self, session: AsyncSession, *, subject: AuthSubject) -> int:
        """Mark every unread notification of the caller read; how many were."""
        return await NotificationRepository(session).mark_all_read(
            subject.org_id, subject.user_id, at=utcnow()
        )

    async def preferences(self, session: AsyncSession, *, subject: AuthSubject) -> NotificationPreferences:
        """The caller's email choices in this organization (every kind on until turned off)."""
        stored = await PreferenceRepository(session).email_choices(subject.org_id, subject.user_id)
        known = {kind.value: bool(stored.get(kind.value, True)) for kind in NotificationKind}
        return NotificationPreferences(email=EmailChoices.model_validate(known))

    async def set_preferences(
        self, session: AsyncSession, *, subject: AuthSubject, body: NotificationPreferences
    ) -> NotificationPreferences:
        """Store the caller's email choices (a kind left out is on)."""
        email = body.email.model_dump(by_alias=True)
        await PreferenceRepository(session).store_email_choices(subject.org_id, subject.user_id, email)
        return await self.preferences(session, subject=subject)


notification_service = NotificationService()
