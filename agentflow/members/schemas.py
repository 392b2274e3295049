"""Member and invitation bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import EmailStr, Field

from agentflow.auth.schemas import OrgSummary, UserPublic
from agentflow.kit.schemas import InputSchema, RecordPublic, Schema, examples
from agentflow.models.role import ROLE_NAME_MAX
from agentflow.rbac import Role
from agentflow.roles.schemas import ROLE_NAME_DESCRIPTION


class MemberPublic(Schema):
    user: UserPublic
    role: str = Field(description=ROLE_NAME_DESCRIPTION)
    joined_at: datetime = Field(validation_alias="created_at")


class InviteRequest(InputSchema):
    model_config = examples({"email": "grace@example.com", "role": "editor"})

    email: EmailStr
    role: str = Field(
        default=Role.viewer.value, min_length=1, max_length=ROLE_NAME_MAX, description=ROLE_NAME_DESCRIPTION
    )


class InvitationPublic(RecordPublic):
    email: str
    role: str
    expires_at: datetime
    invited_by: uuid.UUID | None


class InvitationCreated(InvitationPublic):
    token: str = Field(description="Shown once; the invite link carries it.")
    accept_url: str
    email_sent: bool = Field(description="False when the mail server failed; share the link yourself.")


class InvitationPreview(Schema):
    email: str
    role: str
    org: OrgSummary
    expires_at: datetime
    account_exists: bool


class AcceptInvitation(InputSchema):
    model_config = examples({"password": "correct horse battery", "full_name": "Grace Hopper"})

    password: str | None = Field(
        default=None,
        min_length=8,
        max_length=256,
        description="New accounts choose a password; existing accounts confirm theirs (or send a token).",
    )
    full_name: str = Field(default="", max_length=200)


class RoleChange(InputSchema):
    model_config = examples({"role": "admin"})

    role: str = Field(min_length=1, max_length=ROLE_NAME_MAX, description=ROLE_NAME_DESCRIPTION)
