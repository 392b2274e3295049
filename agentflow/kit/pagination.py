"""Keyset (cursor) pagination over (created_at, id), stable under concurrent inserts."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from agentflow.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([created_at.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = orjson.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, TypeError) as exc:
        raise BadRequest("Invalid pagination cursor", code="invalid_cursor") from exc


def paginate_statement(
    statement: Select[Any],
    *,
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    cursor: str | None,
    limit: int,
    descending: bool = True,
) -> Select[Any]:
    """Apply the cursor filter, order and a limit of `limit + 1` (the extra row says "there is more")."""
    if cursor:
        c_at, c_id = decode_cursor(cursor)
        if descending:
            statement = statement.where(or_(created_at < c_at, and_(created_at == c_at, row_id < c_id)))
        else:
            statement = statement.where(or_(created_at > c_at, and_(created_at == c_at, row_id > c_id)))
    order = (created_at.desc(), row_id.desc()) if descending else (created_at.asc(), row_id.asc())
    return statement.order_by(*order).limit(limit + 1)


def make_page(rows: Sequence[T], limit: int, key: Any) -> Page[T]:
    """Trim the extra row and compute the next cursor from the last row kept."""
    if len(rows) <= limit:
        return Page(items=rows, next_cursor=None)
    kept = rows[:limit]
    created, row_id = key(kept[-1])
    return Page(items=kept, next_cursor=encode_cursor(created, row_id))
