"""Team bodies."""

from __future__ import annotations

import uuid

from pydantic import Field

from agentflow.auth.schemas import UserPublic
from agentflow.kit.schemas import InputSchema, RecordPublic, examples


class TeamCreate(InputSchema):
    model_config = examples({"name": "Support", "description": "Ticket triage agents"})

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)


class TeamUpdate(InputSchema):
    model_config = examples({"name": "Customer Support"})

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)


class TeamMemberAdd(InputSchema):
    model_config = examples({"user_id": "6f1c1d8e-3b7a-4c55-9a55-2f9f6a7c1e01"})

    user_id: uuid.UUID


class TeamPublic(RecordPublic):
    name: str
    description: str


class TeamDetail(TeamPublic):
    members: list[UserPublic]
