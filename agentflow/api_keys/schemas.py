"""API key bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, model_validator

from agentflow.kit.schemas import InputSchema, RecordPublic, examples
from agentflow.models.role import ROLE_NAME_MAX
from agentflow.rbac import Permission


class APIKeyCreate(InputSchema):
    model_config = examples({"name": "CI pipeline", "scopes": ["agents:read", "agents:execute"]})

    name: str = Field(min_length=1, max_length=120)
    scopes: list[Permission] | None = Field(
        default=None, description="Permissions the key carries; default: all of yours. Never more than yours."
    )
    role: str | None = Field(
        default=None,
        min_length=1,
        max_length=ROLE_NAME_MAX,
        description="Instead of `scopes`: a role whose permissions the key carries (a built-in role, or a "
        "custom role, whose later edits the key follows). Never more than yours.",
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    rate_limit_per_minute: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Requests per minute this key may make; default: none of "
        "its own (its organization's limit applies).",
    )

    @model_validator(mode="after")
    def _scopes_or_role(self) -> APIKeyCreate:
        if self.scopes is not None and self.role is not None:
            raise ValueError("Give either scopes or a role, not both")
        return self


class APIKeyPublic(RecordPublic):
    name: str
    prefix: str
    scopes: list[str]
    role: str | None = None
    created_by: uuid.UUID
    last_used_at: datetime | None
    expires_at: datetime | None
    rate_limit_per_minute: int | None = None


class APIKeyCreated(APIKeyPublic):
    key: str = Field(description="The full key. It is shown only this once; store it now.")
