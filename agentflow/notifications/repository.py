"""Every query on notifications and preferences; a member's reads are scoped to (org, user)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    String,
    Text,
    cast,
    exists,
    false,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.kit.models import utcnow
from agentflow.kit.pagination import Page
from agentflow.kit.repository import TenantRepository
from agentflow.models import (
    CustomRole,
    EmailStatus,
    Notification,
    NotificationPreference,
    OrgMembership,
    User,
)
from agentflow.notifications.kinds import Notice, Recipients


def acts_as_recipient(recipients: Recipients) -> ColumnElement[bool]:
    """A member whose custom role acts as one of the recipients' roles (Recipients.custom_role_floor)."""
    floor = recipients.custom_role_floor
    if floor is None:
        return false()
    return exists().where(
        CustomRole.id == OrgMembership.custom_role_id,
        cast(CustomRole.permissions, ARRAY(Text)).contains(floor),
    )


class NotificationRepository(TenantRepository[Notification]):
    model = Notification

    def of_member(self, org_id: uuid.UUID, user_id: uuid.UUID) -> Select[Notification]:
        """The only way a member's notifications are read: another user's or org's are not found."""
        return self.readable(org_id).where(Notification.user_id == user_id)

    async def page_of_member(
        self, org_id: uuid.UUID, user_id: uuid.UUID, *, unread_only: bool, cursor: str | None, limit: int
    ) -> Page[Notification]:
        statement = self.of_member(org_id, user_id)
        if unread_only:
            statement = statement.where(Notification.read_at.is_(None))
        return await self.page(statement, cursor=cursor, limit=limit)

    async def unread_count(self, org_id: uuid.UUID, user_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.org_id == org_id,
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
            )
        )
        return int(count or 0)

    async def get_of_member(
        self, org_id: uuid.UUID, user_id: uuid.UUID, notification_id: uuid.UUID
    ) -> Notification | None:
        return await self.one_or_none(
            self.of_member(org_id, user_id).where(Notification.id == notification_id)
        )

    async def mark_all_read(self, org_id: uuid.UUID, user_id: uuid.UUID, *, at: datetime) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.org_id == org_id,
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
            )
            .values(read_at=at, updated_at=at)
            .returning(Notification.id)
        )
        return len(result.all())

    async def insert_for(
        self, org_id: uuid.UUID, recipients: Recipients, notice: Notice
    ) -> Sequence[tuple[uuid.UUID, str]]:
        """One row per recipient who is an active member, none for a (member, event) already told;
        returns (id, email_status) of the rows made."""
        if not recipients.user_ids and not recipients.roles:
            return []
        now = utcnow()
        status = EmailStatus.pending if notice.email else EmailStatus.none
        members = (
            select(
                func.gen_random_uuid(),
                OrgMembership.org_id,
                OrgMembership.user_id,
                literal(notice.kind.value),
                literal(notice.title),
                literal(notice.body),
                literal(notice.link, String(500)),
                literal(notice.dedupe_key),
                literal(status.value),
                literal(now if notice.email else None, DateTime(timezone=True)),
                literal(now, DateTime(timezone=True)),
                literal(now, DateTime(timezone=True)),
            )
            .join(User, User.id == OrgMembership.user_id)
            .where(
                OrgMembership.org_id == org_id,
                User.is_active.is_(True),
                OrgMembership.user_id.in_(list(recipients.user_ids))
                | OrgMembership.role.in_(sorted(r.value for r in recipients.roles))
                | acts_as_recipient(recipients),
            )
        )
        statement = (
            insert(Notification)
            .from_select(
                [
                    "id",
                    "org_id",
                    "user_id",
                    "kind",
                    "title",
                    "body",
                    "link",
                    "dedupe_key",
                    "email_status",
                    "email_due_at",
                    "created_at",
                    "updated_at",
                ],
                members,
            )
            .on_conflict_do_nothing(index_elements=["org_id", "user_id", "dedupe_key"])
            .returning(Notification.id, Notification.email_status)
        )
        rows = (await self.session.execute(statement)).all()
        return [(row[0], row[1]) for row in rows]


class PreferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def email_choices(self, org_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, bool]:
        stored = await self.session.scalar(
            select(NotificationPreference.email).where(
                NotificationPreference.org_id == org_id, NotificationPreference.user_id == user_id
            )
        )
        return dict(stored or {})

    async def store_email_choices(
        self, org_id: uuid.UUID, user_id: uuid.UUID, email: dict[str, bool]
    ) -> None:
        statement = insert(NotificationPreference).values(org_id=org_id, user_id=user_id, email=email)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["org_id", "user_id"],
                set_={"email": statement.excluded.email, "updated_at": utcnow()},
            )
        )
