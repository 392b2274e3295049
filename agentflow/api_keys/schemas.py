"""API key bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from agentflow.kit.schemas import InputSchema, RecordPublic, examples
from agentflow.rbac import Permission


class APIKeyCreate(InputSchema):
    model_config = examples({"name": "CI pipeline", "scopes": ["agents:read", "agents:execute"]})

    name: str = Field(min_length=1, max_length=120)
    scopes: list[Permission] | None = Field(
        default=None, description="Permissions the key carries; default: all of yours. Never more than yours."
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    rate_limit_per_minute: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Requests per minute this key may make; default: none of "
        "its own (its organization's limit applies).",
    )


class APIKeyPublic(RecordPublic):
    name: str
    prefix: str
    scopes: list[str]
    created_by: uuid.UUID
    last_used_at: datetime | None
    expires_at: datetime | None
    rate_limit_per_minute: int | None = None


class APIKeyCreated(APIKeyPublic):
    key: str = Field(description="The full key. It is shown only this once; store it now.")
