"""Email senders. The console sender logs the message; the SMTP sender delivers it."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from agentflow.config import Settings

logger = logging.getLogger("agentflow.email")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str


class EmailSender(Protocol):
    async def send(self, email: Email) -> None: ...


class ConsoleSender:
    """Development default: the message (with its links) goes to the log instead of a mailbox."""

    async def send(self, email: Email) -> None:
        logger.info("email to=%s subject=%s\n%s", email.to, email.subject, email.text)


class SMTPSender:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.settings = settings

    async def send(self, email: Email) -> None:
        await asyncio.to_thread(self._send_sync, email)

    def _send_sync(self, email: Email) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.email_from
        message["To"] = email.to
        message["Subject"] = email.subject
        message.set_content(email.text)
        assert s.smtp_host is not None
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)


def get_sender(settings: Settings) -> EmailSender:
    return SMTPSender(settings) if settings.smtp_host else ConsoleSender()
