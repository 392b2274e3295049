"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field, field_validator

from agentflow.kit.schemas import InputSchema, RecordPublic, Schema, examples
from agentflow.rbac import Permission


class SignupRequest(InputSchema):
    model_config = examples(
        {"email": "ada@example.com", "password": "correct horse battery", "org_name": "Acme"}
    )

    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    org_name: str = Field(min_length=1, max_length=200)
    full_name: str = Field(default="", max_length=200)
    data_region: str = Field(
        default="us",
        pattern="^(us|eu)$",
        description="Where the new organization's data lives (`us` or `eu`); fixed from then on.",
    )


class LoginRequest(InputSchema):
    model_config = examples({"email": "ada@example.com", "password": "correct horse battery"})

    email: EmailStr
    password: str = Field(min_length=1, max_length=256)
    org_id: uuid.UUID | None = Field(default=None, description="Sign in to this org; default: the oldest.")


class SwitchOrgRequest(InputSchema):
    model_config = examples({"org_id": "6f1c1d8e-3b7a-4c55-9a55-2f9f6a7c1e01"})

    org_id: uuid.UUID


class UserPublic(RecordPublic):
    email: str
    full_name: str


class OrgSummary(Schema):
    id: uuid.UUID
    slug: str
    name: str


class OrgPublic(RecordPublic):
    slug: str
    name: str
    plan: str
    data_region: str = Field(description="Where the organization's data lives; fixed at creation.")
    settings: dict[str, object]
    retention_purge_from: datetime | None = Field(
        default=None,
        description="When a new or shorter `settings.retention_days` first deletes executions (a week "
        "after it was saved); null when no purge is being held.",
    )

    @field_validator("settings")
    @classmethod
    def _timezone_shown(cls, value: dict[str, object]) -> dict[str, object]:
        """Analytics days are the org's local days: the zone they use is always shown (UTC if unset)."""
        return {"timezone": "UTC", **value}


class MembershipPublic(Schema):
    org: OrgSummary
    role: str = Field(description="A built-in role's name (owner, admin, editor, viewer) or a custom role's.")


class TokenResponse(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserPublic
    org: OrgPublic
    role: str


class MeResponse(Schema):
    user: UserPublic
    org: OrgPublic
    role: str
    permissions: list[Permission]
    memberships: list[MembershipPublic]
    auth_method: Literal["token", "api_key"]
    api_key_id: uuid.UUID | None = None
