"""Request and response bodies of the SSO settings."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import Field, field_validator

from agentflow.kit.schemas import InputSchema, Schema, examples
from agentflow.rbac import Role

MAX_DOMAINS = 50
# A DNS name: labels of letters, digits and hyphens, at least one dot, at most 253 characters.
DOMAIN_PATTERN = r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"


class SSOSettingsUpdate(InputSchema):
    model_config = examples(
        {
            "workos_organization_id": "org_01HZX3T5Q8K9M2N4P6R8S0V2W4",
            "enforce": True,
            "domains": ["example.com"],
        }
    )

    workos_organization_id: str = Field(
        min_length=5,
        max_length=100,
        pattern=r"^org_[0-9A-Za-z]+$",
        description="The WorkOS organization whose SSO connection (and directory) serve this org.",
    )
    enforce: bool = Field(
        default=False,
        description="Refuse password sign-in and password invitations to members who are not owners.",
    )
    domains: list[str] | None = Field(
        default=None,
        max_length=MAX_DOMAINS,
        description="Email domains SSO may sign in; each must be verified at WorkOS for that organization. "
        "Default: every verified domain of it.",
    )
    default_role: Role = Field(
        default=Role.viewer, description="The role of members provisioned by SSO or directory sync."
    )

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = sorted({d.strip().lower().rstrip(".") for d in value})
        for domain in cleaned:
            if len(domain) > 253 or not re.fullmatch(DOMAIN_PATTERN, domain):
                raise ValueError(f"{domain[:80]!r} is not a domain name")
        return cleaned

    @field_validator("default_role")
    @classmethod
    def _not_owner(cls, value: Role) -> Role:
        if value is Role.owner:
            raise ValueError("SSO cannot make owners; choose admin, editor or viewer")
        return value


class SSOSettingsPublic(Schema):
    available: bool = Field(description="Whether this server has SSO configured (WorkOS credentials).")
    configured: bool = Field(description="Whether this organization has an SSO connection.")
    workos_organization_id: str | None = None
    enforce: bool = False
    domains: list[str] = Field(default_factory=list)
    default_role: Role = Role.viewer
    updated_at: datetime | None = None
