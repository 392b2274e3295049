"""The audit log as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson

from agentflow.models import AuditLog

COLUMNS = (
    "id",
    "created_at",
    "action",
    "actor_type",
    "actor_id",
    "actor_email",
    "resource_type",
    "resource_id",
    "ip",
    "user_agent",
    "request_id",
    "details",
)
# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets (CSV injection): any
# tenant-chosen text (a team's name in the details, a user agent) could start with one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(entry: AuditLog) -> list[str]:
    values = [
        entry.id,
        entry.created_at.isoformat(),
        entry.action,
        entry.actor_type,
        entry.actor_id,
        entry.actor_email,
        entry.resource_type,
        entry.resource_id,
        entry.ip,
        entry.user_agent,
        entry.request_id,
        orjson.dumps(entry.details).decode(),
    ]
    return [safe_cell(v) for v in values]


async def csv_chunks(batches: AsyncIterator[Sequence[AuditLog]]) -> AsyncIterator[bytes]:
    """The header, then one chunk per batch of entries."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield buffer.getvalue().encode()
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_row(entry) for entry in batch)
        yield buffer.getvalue().encode()
