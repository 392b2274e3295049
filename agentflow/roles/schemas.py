"""Custom role bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, field_validator

from agentflow.kit.schemas import InputSchema, Schema, examples
from agentflow.models.role import ROLE_NAME_MAX
from agentflow.rbac import BUILTIN_ROLE_NAMES, Permission

MAX_ROLES_PER_ORG = 100
# Letters, digits, spaces and a little punctuation: a role's name is shown in lists, emails and logs.
ROLE_NAME_PATTERN = r"^[\w][\w .\-]*$"
ROLE_NAME_DESCRIPTION = (
    "A built-in role (owner, admin, editor, viewer) or the name of one of your custom roles."
)


def _not_reserved(name: str | None) -> str | None:
    if name is not None and name.lower() in BUILTIN_ROLE_NAMES:
        raise ValueError(f"{name!r} is a built-in role's name")
    return name


def _distinct(permissions: list[Permission] | None) -> list[Permission] | None:
    return sorted(set(permissions)) if permissions is not None else None


class RoleCreate(InputSchema):
    model_config = examples(
        {
            "name": "Support agent",
            "permissions": ["agents:read", "agents:execute", "executions:read"],
            "description": "Runs the support agents and reads their executions",
        }
    )

    name: str = Field(min_length=1, max_length=ROLE_NAME_MAX, pattern=ROLE_NAME_PATTERN)
    permissions: list[Permission] = Field(max_length=len(Permission) * 2)
    description: str = Field(default="", max_length=1000)

    _reserved = field_validator("name")(_not_reserved)
    _dedupe = field_validator("permissions")(_distinct)


class RoleUpdate(InputSchema):
    model_config = examples({"permissions": ["agents:read", "executions:read"]})

    name: str | None = Field(default=None, min_length=1, max_length=ROLE_NAME_MAX, pattern=ROLE_NAME_PATTERN)
    permissions: list[Permission] | None = Field(default=None, max_length=len(Permission) * 2)
    description: str | None = Field(default=None, max_length=1000)

    _reserved = field_validator("name")(_not_reserved)
    _dedupe = field_validator("permissions")(_distinct)


class RolePublic(Schema):
    id: uuid.UUID | None = Field(description="Null for a built-in role (they cannot be edited).")
    name: str
    permissions: list[Permission]
    description: str
    builtin: bool
    created_at: datetime | None
    updated_at: datetime | None
