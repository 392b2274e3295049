"""Turning rows into an export file: CSV (a header row, then one row each) or JSON (an array of objects),
bounded in size. Rows are read in pages in (created_at, id) order, so memory holds one page and the file."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents import access
from agentflow.models import Agent, AuditLog, Execution, ExportFormat, ExportKind
from agentflow.rbac import Permission

PAGE = 1000
# Spreadsheets run a cell starting with one of these as a formula (CSV injection): such a text cell is
# written with a leading apostrophe, which spreadsheets show as text and never evaluate.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportTooLarge(Exception):
    pass


# (the statement, its column names, its created_at and id columns: the page order and the keyset)
_Source = tuple[Select[Any], list[str], Any, Any]


def _executions(org_id: uuid.UUID, reader: uuid.UUID | None = None, *, all_agents: bool = True) -> _Source:
    columns: list[Any] = [
        Execution.id,
        Execution.agent_id,
        Agent.name.label("agent_name"),
        Execution.version_id,
        Execution.status,
        Execution.triggered_by,
        Execution.triggered_by_user,
        Execution.created_at,
        Execution.started_at,
        Execution.finished_at,
        Execution.duration_ms,
        Execution.total_tokens,
        Execution.total_cost_usd,
        Execution.attempt,
        Execution.failed_node,
        Execution.error,
        Execution.input,
        Execution.output,
    ]
    statement = select(*columns).join(Agent, Agent.id == Execution.agent_id).where(Execution.org_id == org_id)
    if not all_agents:  # the requester's per-agent access as it is now (no user left: unrestricted only)
        named = array(access.granting(Permission.agents_read))
        statement = statement.where(access.rule(org_id, reader, named))
    return statement, [c.key for c in columns], Execution.created_at, Execution.id


def _audit_logs(org_id: uuid.UUID) -> _Source:
    columns: list[Any] = [
        AuditLog.id,
        AuditLog.created_at,
        AuditLog.action,
        AuditLog.actor_type,
        AuditLog.actor_id,
        AuditLog.actor_email,
        AuditLog.resource_type,
        AuditLog.resource_id,
        AuditLog.ip,
        AuditLog.user_agent,
        AuditLog.request_id,
        AuditLog.details,
    ]
    return (
        select(*columns).where(AuditLog.org_id == org_id),
        [c.key for c in columns],
        AuditLog.created_at,
        AuditLog.id,
    )


async def rows(
    session: AsyncSession,
    kind: ExportKind,
    org_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    reader: uuid.UUID | None = None,
    all_agents: bool = True,
) -> tuple[list[str], AsyncIterator[Sequence[Any]]]:
    """The column names, and the org's rows created in [start, end) page by page, oldest first; executions
    only of the agents `reader` may read unless `all_agents`."""
    if kind is ExportKind.executions:
        source = _executions(org_id, reader, all_agents=all_agents)
    else:
        source = _audit_logs(org_id)
    statement, names, created_at, row_id = source
    statement = statement.where(created_at >= start, created_at < end).order_by(created_at, row_id)

    async def pages() -> AsyncIterator[Sequence[Any]]:
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            page = statement
            if after is not None:
                page = page.where(or_(created_at > after[0], and_(created_at == after[0], row_id > after[1])))
            found = (await session.execute(page.limit(PAGE))).all()
            if found:
                yield found
            if len(found) < PAGE:
                return
            last = found[-1]._mapping
            after = (last[created_at.key], last[row_id.key])

    return names, pages()


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # fixed-point, never `0E-8`
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class FileWriter:
    """Collects the file, refusing to grow past `max_bytes`."""

    def __init__(self, fmt: ExportFormat, names: list[str], *, max_bytes: int) -> None:
        self.fmt, self.names, self.max_bytes = fmt, names, max_bytes
        self.buffer = bytearray()
        self.count = 0
        if fmt is ExportFormat.csv:
            self._append(self._csv_line(names))
        else:
            self._append(b"[")

    def _append(self, data: bytes) -> None:
        if len(self.buffer) + len(data) > self.max_bytes:
            raise ExportTooLarge(
                f"The export would be larger than {self.max_bytes:,} bytes; choose a shorter date range"
            )
        self.buffer += data

    @staticmethod
    def _csv_line(values: list[str]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(values)
        return out.getvalue().encode()

    def add(self, row: Sequence[Any]) -> None:
        if self.fmt is ExportFormat.csv:
            self._append(self._csv_line([_cell(value) for value in row]))
        else:
            item = {name: _plain(value) for name, value in zip(self.names, row, strict=True)}
            self._append((b"," if self.count else b"") + b"\n" + orjson.dumps(item, default=str))
        self.count += 1

    def finish(self) -> bytes:
        if self.fmt is ExportFormat.json:
            self._append(b"\n]\n" if self.count else b"]\n")
        return bytes(self.buffer)
