"""Pydantic base classes shared by every domain's schemas."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from agentflow.kit.pagination import Page

T = TypeVar("T")


class Schema(BaseModel):
    """Response schemas read straight from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class InputSchema(BaseModel):
    """Request bodies: unknown fields are an error, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def examples(*values: dict[str, Any], strip_whitespace: bool = True) -> ConfigDict:
    """Examples shown in the OpenAPI docs (and used by the route-table tests to build valid bodies).

    `strip_whitespace=False` for bodies whose strings must arrive byte for byte (secret values).
    """
    return ConfigDict(
        extra="forbid", str_strip_whitespace=strip_whitespace, json_schema_extra={"examples": list(values)}
    )


class RecordPublic(Schema):
    id: uuid.UUID
    created_at: datetime


class PageOf(Schema, Generic[T]):
    items: Sequence[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end.")


S = TypeVar("S", bound=Schema)


def page_of(schema: type[S], page: Page[Any]) -> PageOf[S]:
    """Turn a repository page of rows into the `{items, next_cursor}` response."""
    return PageOf[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in page.items], next_cursor=page.next_cursor
    )
