"""Notification email from the worker: its process-wide mailer, with the sender built from its settings."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from agentflow.email.sender import get_sender
from agentflow.kit.fastread import FastReader
from agentflow.notifications.delivery import NotificationMailer

logger = logging.getLogger("agentflow.engine")

_mailer: NotificationMailer | None = None


def worker_mailer(db: FastReader) -> NotificationMailer:
    """The mailer of this worker process (SMTP when `AGENTFLOW_SMTP_HOST` is set, else the log)."""
    global _mailer
    if _mailer is None:
        from agentflow.config import get_settings

        settings = get_settings()
        _mailer = NotificationMailer(db, get_sender(settings), settings)
    return _mailer


async def mail_notifications(db: FastReader, ids: Sequence[uuid.UUID]) -> None:
    """Mail notifications a committed write made; whatever fails is left to the sweeper, never raised."""
    if not ids:
        return
    try:
        await worker_mailer(db).deliver(ids)
    except Exception:  # deliver logs its own failures; this guards building the sender
        logger.exception("notification emails not sent now; the sweeper retries them")
