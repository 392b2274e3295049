"""Agent bodies and responses: create/update/status/publish inputs, summaries, details, versions, diffs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, computed_field, field_validator, model_validator

from agentflow.config import get_settings
from agentflow.graph import DefinitionDiff, ValidationReport, Variable
from agentflow.kit.schemas import InputSchema, RecordPublic, Schema, examples
from agentflow.models import AgentStatus
from agentflow.nodes.trigger.model import TriggerKind

MAX_TAGS = 20

Tag = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=50)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
StatusTarget = Literal["draft", "active", "paused", "archived"]
# A definition is kept exactly as written: no whitespace stripping of its keys (InputSchema strips strings).
RawDefinition = dict[Annotated[str, StringConstraints(strip_whitespace=False)], Any]

DEFINITION_DESCRIPTION = (
    "The agent definition: nodes, edges, settings (JSON Schema at GET /api/v1/schemas/agent-definition)."
)

# A small valid definition the examples share: a webhook trigger feeding a classifier.
EXAMPLE_DEFINITION: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "trigger", "name": "Incoming ticket", "config": {"kind": "webhook"}},
        {
            "id": "classify",
            "type": "ai",
            "name": "Classify",
            "config": {
                "operation": "classify",
                "model": "gpt-4o-mini",
                "prompt": "Classify this ticket: {{start.output.body.text}}",
                "labels": ["bug", "question", "billing"],
            },
        },
    ],
    "edges": [{"source": "start", "target": "classify"}],
}


def revision_etag(revision: int) -> str:
    """The ETag of an agent: its draft revision, quoted (`"3"`)."""
    return f'"{revision}"'


def _unique_tags(tags: list[str] | None) -> list[str] | None:
    return None if tags is None else list(dict.fromkeys(tags))


class AgentCreate(InputSchema):
    model_config = examples(
        {
            "name": "Ticket triage",
            "description": "Classifies incoming support tickets",
            "team_id": "6f1c1d8e-3b7a-4c55-9a55-2f9f6a7c1e01",
            "tags": ["support"],
            "definition": EXAMPLE_DEFINITION,
        }
    )

    name: Name
    description: str = Field(default="", max_length=5000)
    definition: RawDefinition | None = Field(
        default=None, description=DEFINITION_DESCRIPTION + " Omitted: a draft with one manual trigger."
    )
    team_id: uuid.UUID | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS, description="Lower-cased, unique.")

    _tags = field_validator("tags")(_unique_tags)


class AgentUpdate(InputSchema):
    """Every field is optional; only those sent change. `team_id: null` takes the agent out of its team."""

    model_config = examples(
        {"description": "Classifies and routes support tickets", "tags": ["support", "triage"], "revision": 3}
    )

    name: Name | None = None
    description: str | None = Field(default=None, max_length=5000)
    definition: dict[str, Any] | None = Field(
        default=None, description="The new draft. " + DEFINITION_DESCRIPTION
    )
    team_id: uuid.UUID | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    revision: int | None = Field(
        default=None,
        description="The revision this edit is based on (the ETag of GET /agents/{id}); or send If-Match.",
    )

    _tags = field_validator("tags")(_unique_tags)


class AgentStatusChange(InputSchema):
    model_config = examples({"status": "paused"})

    status: StatusTarget = Field(
        description=(
            "`active` runs the published version on its trigger; `paused` stops that; `archived` hides the "
            "agent (admin+; so does leaving `archived`). `active`/`paused` need a published version; `draft` "
            "only restores an archived agent that was never published."
        )
    )


class PublishRequest(InputSchema):
    model_config = examples({"message": "Route billing tickets to finance"})

    message: str = Field(default="", max_length=2000, description="What changed, shown in the history.")


class RollbackRequest(InputSchema):
    model_config = examples({"message": "Back to the prompt that worked"})

    message: str | None = Field(
        default=None, max_length=2000, description="Defaults to `Rollback to version N`."
    )


class DuplicateRequest(InputSchema):
    model_config = examples({"name": "Ticket triage (copy)"})

    name: Name | None = Field(default=None, description="Defaults to `Copy of <name>`.")


class AgentDocument(InputSchema):
    """An agent as a file: what export writes and import reads (YAML or JSON)."""

    model_config = examples(
        {
            "name": "Ticket triage",
            "description": "Classifies incoming support tickets",
            "tags": ["support"],
            "definition": EXAMPLE_DEFINITION,
        }
    )

    name: Name
    description: str = Field(default="", max_length=5000)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    definition: RawDefinition = Field(description=DEFINITION_DESCRIPTION)

    _tags = field_validator("tags")(_unique_tags)


@dataclass(frozen=True)
class AgentFilters:
    """List filters; archived agents are listed only when asked for by status."""

    status: AgentStatus | None = None
    trigger_type: TriggerKind | None = None
    team_id: uuid.UUID | None = None
    tags: list[str] = field(default_factory=list)
    q: str | None = None


class AgentSummary(RecordPublic):
    updated_at: datetime
    name: str
    description: str
    status: AgentStatus
    trigger_type: str | None = Field(
        description="Trigger kind of what runs: the current version's, or the draft's if none is published."
    )
    team_id: uuid.UUID | None
    restricted: bool = Field(
        default=False, description="Only its team, its grants and agents:access_all reach it (see /access)."
    )
    tags: list[str]
    current_version: int | None = Field(description="Number of the published version that runs, if any.")
    draft_revision: int = Field(description="Bumped by every edit; the ETag of GET /agents/{id}.")
    archived_at: datetime | None
    last_run_at: datetime | None = Field(default=None, description="When the agent last started a run.")
    success_rate: float | None = Field(
        default=None, description="Share of finished runs in the last 30 days that completed (0 to 1)."
    )
    webhook_token: str | None = Field(default=None, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def webhook_url(self) -> str | None:
        """The URL that starts this agent (webhook triggers): POST JSON or a form to it."""
        if self.webhook_token is None:
            return None
        return f"{get_settings().public_url.rstrip('/')}/api/v1/hooks/{self.webhook_token}"


class VersionSummary(Schema):
    number: int
    message: str
    published_by: uuid.UUID | None
    published_at: datetime
    checksum: str = Field(description="SHA-256 of the definition as canonical JSON.")


class VersionPublic(VersionSummary):
    agent_id: uuid.UUID
    definition: dict[str, Any]


class AgentDetail(AgentSummary):
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    draft: dict[str, Any] = Field(description="The draft definition (what the builder edits).")
    current: VersionSummary | None = Field(description="The published version that runs, if any.")
    validation: ValidationReport = Field(
        description="Problems in the draft: errors block publishing, warnings do not."
    )
    publishable: bool = Field(description="True when publishing the draft would pass validation.")


class VersionDiff(DefinitionDiff):
    from_version: int
    to_version: int


class AgentVariables(Schema):
    node_id: str
    variables: list[Variable] = Field(description="Upstream outputs, then env, loop and execution values.")


MAX_GRANTS = 200
# The permissions a grant may name (agentflow/agents/access.py GRANTABLE).
GrantPermission = Literal["agents:read", "agents:write", "agents:publish", "agents:execute"]


class GrantIn(InputSchema):
    """One team or one user (exactly one of the two) and what they may do with the agent."""

    team_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    permissions: list[GrantPermission] = Field(min_length=1, max_length=4)

    @field_validator("permissions")
    @classmethod
    def _unique(cls, value: list[GrantPermission]) -> list[GrantPermission]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _one_subject(self) -> GrantIn:
        if (self.team_id is None) == (self.user_id is None):
            raise ValueError("a grant names exactly one of team_id and user_id")
        return self

    def subject_key(self) -> str:
        """`team:<id>` or `user:<id>`: one grant per subject."""
        return f"team:{self.team_id}" if self.team_id is not None else f"user:{self.user_id}"


class AgentAccessUpdate(InputSchema):
    """The agent's whole access: restricted or not, and every grant (replaces the previous ones)."""

    model_config = examples(
        {"restricted": True, "grants": []},
        {
            "restricted": True,
            "grants": [
                {"team_id": "0b6f1e9a-2c1d-4a57-8e0f-3f2d1c0b9a87", "permissions": ["agents:read"]},
                {
                    "user_id": "6f1c1d8e-3b7a-4c55-9a55-2f9f6a7c1e01",
                    "permissions": ["agents:read", "agents:execute"],
                },
            ],
        },
    )

    restricted: bool
    grants: list[GrantIn] = Field(default_factory=list, max_length=MAX_GRANTS)


class GrantPublic(Schema):
    id: uuid.UUID
    team_id: uuid.UUID | None
    user_id: uuid.UUID | None
    permissions: list[str]


class AgentAccessPublic(Schema):
    """Who reaches the agent: when `restricted`, the owning team, the grants and `agents:access_all`."""

    agent_id: uuid.UUID
    restricted: bool
    team_id: uuid.UUID | None
    grants: list[GrantPublic]
