"""/api/v1/notifications: the caller's own notifications in this organization, and their email choices."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from agentflow.auth.subject import AuthSubject
from agentflow.notifications.schemas import (
    NotificationList,
    NotificationPreferences,
    NotificationPublic,
    ReadAllResult,
)
from agentflow.notifications.service import notification_service, public
from agentflow.rbac import Permission
from api.deps import Authorize, SessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/notifications", tags=["notifications"], responses=ERROR_RESPONSES)

Member = Annotated[AuthSubject, Depends(Authorize(Permission.notifications_read))]


@router.get("", response_model=NotificationList)
async def list_notifications(
    subject: Member,
    session: SessionDep,
    unread_only: Annotated[bool, Query(description="Only the unread ones.")] = False,
    cursor: Annotated[
        str | None, Query(max_length=512, description="From `next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationList:
    """The caller's notifications, newest first, with how many are unread."""
    return await notification_service.list(
        session, subject=subject, unread_only=unread_only, cursor=cursor, limit=limit
    )


@router.post("/read-all", response_model=ReadAllResult)
async def read_all_notifications(subject: Member, session: SessionDep) -> ReadAllResult:
    """Mark every notification of the caller read."""
    return ReadAllResult(updated=await notification_service.mark_all_read(session, subject=subject))


@router.get("/preferences", response_model=NotificationPreferences)
async def get_notification_preferences(subject: Member, session: SessionDep) -> NotificationPreferences:
    """Which kinds the caller gets by email in this organization (all on until turned off)."""
    return await notification_service.preferences(session, subject=subject)


@router.put("/preferences", response_model=NotificationPreferences)
async def put_notification_preferences(
    body: NotificationPreferences, subject: Member, session: SessionDep
) -> NotificationPreferences:
    """Choose which kinds come by email (a kind left out is on; an unknown kind is refused)."""
    return await notification_service.set_preferences(session, subject=subject, body=body)


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def read_notification(
    notification_id: uuid.UUID, subject: Member, session: SessionDep
) -> NotificationPublic:
    """Mark one of the caller's notifications read (another user's is not found)."""
    return public(
        await notification_service.mark_read(session, subject=subject, notification_id=notification_id)
    )
