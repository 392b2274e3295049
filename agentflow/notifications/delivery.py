"""Mailing notifications after the change that made them committed.

A notification that should go by email is committed `pending` with the change (the outbox): a rolled-back
change leaves nothing to send. Whoever made it delivers right after the commit (`deliver(ids)`); the
workers' sweeper sends whatever is still due (`deliver_due`), so a crash or an SMTP outage delays mail but
never loses it. A claim pushes `email_due_at` ahead before sending, so two senders never mail the same row
at once, and a sender that died mid-way leaves the row to be tried again later. Each recipient's
preferences are read at sending time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import text

from agentflow.config import Settings
from agentflow.email.sender import Email, EmailSender
from agentflow.kit.fastread import FastReader, compile_query

logger = logging.getLogger("agentflow.notifications")

MAX_ATTEMPTS = 4
_BATCH = 50

# Retry after 1, 2, 4 minutes; `ids` NULL = everything due. clock_timestamp(), not now(): a caller's
# transaction may have begun before the rows it delivers were made.
_CLAIM = compile_query(
    text(
        """
        WITH due AS (
            SELECT id FROM notifications
            WHERE email_status = 'pending' AND email_due_at <= clock_timestamp()
              AND (CAST(:ids AS uuid[]) IS NULL OR id = ANY(CAST(:ids AS uuid[])))
            ORDER BY email_due_at LIMIT :batch
            FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE notifications n
            SET email_attempts = n.email_attempts + 1,
                email_due_at = clock_timestamp()
                    + make_interval(mins => CAST(power(2, n.email_attempts) AS integer))
            FROM due WHERE n.id = due.id
            RETURNING n.id, n.org_id, n.user_id, n.kind, n.title, n.body, n.link, n.email_attempts
        )
        SELECT c.id, c.kind, c.title, c.body, c.link, c.email_attempts, u.email AS address,
               u.is_active AND COALESCE(CAST(p.email ->> c.kind AS boolean), true) AS wanted,
               o.name AS org_name
        FROM claimed c
        JOIN users u ON u.id = c.user_id
        JOIN organizations o ON o.id = c.org_id
        LEFT JOIN notification_preferences p ON p.org_id = c.org_id AND p.user_id = c.user_id
        """
    )
)
_DONE = compile_query(
    text(
        """
        UPDATE notifications SET email_status = :status, email_due_at = NULL, updated_at = now()
        WHERE id = :id AND email_status = 'pending'
        """
    )
)


def email_text(settings: Settings, *, org_name: str, title: str, body: str, link: str | None) -> str:
    """What the email says: the notification and its link in the web app; nothing more (no run data, no
    credentials: the link leads to the details behind sign-in)."""
    parts = [f"{title}\n", body] if body else [f"{title}\n"]
    if link:
        parts.append(f"\nOpen it in AgentFlow: {settings.public_url.rstrip('/')}{link}")
    parts.append(
        f"\n—\nYou get this email as a member of {org_name}. Choose which notifications come by email in "
        "your notification settings."
    )
    return "\n".join(parts)


class NotificationMailer:
    def __init__(self, db: FastReader, sender: EmailSender, settings: Settings) -> None:
        self.db = db
        self.sender = sender
        self.settings = settings

    async def deliver(self, ids: Sequence[uuid.UUID]) -> int:
        """Mail these notifications now if they still wait (after the commit that made them); how many
        were sent. Never raises: what could not be sent stays for the sweeper."""
        if not ids:
            return 0
        try:
            _, sent = await self._send(list(ids))
            return sent
        except Exception:
            logger.exception("notification emails could not be sent now; the sweeper retries them")
            return 0

    async def deliver_due(self) -> int:
        """The sweeper's duty: mail every notification whose email is due; how many were sent."""
        total = 0
        while True:
            claimed, sent = await self._send(None)
            total += sent
            if claimed < _BATCH:
                return total

    async def _send(self, ids: list[uuid.UUID] | None) -> tuple[int, int]:
        """(rows claimed, emails sent)."""
        rows = await self.db.fetch(_CLAIM, ids=ids, batch=_BATCH)
        sent = 0
        for row in rows:
            if not row["wanted"]:
                await self.db.execute(_DONE, id=row["id"], status="skipped")
                continue
            email = Email(
                to=row["address"],
                subject=row["title"],
                text=email_text(
                    self.settings,
                    org_name=row["org_name"],
                    title=row["title"],
                    body=row["body"],
                    link=row["link"],
                ),
            )
            try:
                await self.sender.send(email)
            except Exception as exc:  # SMTP refused or unreachable: try again later, give up in the end
                final = row["email_attempts"] >= MAX_ATTEMPTS
                logger.warning(
                    "notification email %s to user failed (attempt %s%s): %s",
                    row["id"],
                    row["email_attempts"],
                    ", giving up" if final else "",
                    type(exc).__name__,
                )
                if final:
                    await self.db.execute(_DONE, id=row["id"], status="failed")
                continue
            await self.db.execute(_DONE, id=row["id"], status="sent")
            sent += 1
        return len(rows), sent
