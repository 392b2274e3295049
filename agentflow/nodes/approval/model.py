"""The human.approval node: suspend the run until a person approves or rejects."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentflow.nodes.base import NOT_TEMPLATED, NodeBase, StrictModel

MAX_APPROVAL_SECONDS = 30 * 24 * 3600  # a paused run holds its state that long at most


class ApprovalConfig(StrictModel):
    """Who decides, what they are shown and what happens if nobody answers."""

    message: str = Field(min_length=1, description="What the approver is asked; may use `{{…}}` references.")
    approvers: list[str] = Field(
        default_factory=list,
        description="User ids, or `role:<role>` (e.g. `role:admin`); any editor of the agent if empty.",
    )
    timeout_seconds: int = Field(
        default=86400,
        gt=0,
        le=MAX_APPROVAL_SECONDS,
        description="How long to wait for a decision, in seconds (positive, at most 30 days: 2592000).",
    )
    on_timeout: Literal["approve", "reject", "fail"] = Field(
        default="reject", description="Decision taken when the timeout passes, or `fail` to fail the step."
    )
    input_schema: dict[str, Any] | None = Field(
        default=None,
        description="JSON Schema of extra fields the approver fills in; they appear in the output.",
        json_schema_extra=NOT_TEMPLATED,
    )


class ApprovalNode(NodeBase):
    """Waits for a decision; output `{approved, comment, by, at, ...fields}`; handles approved/rejected."""

    type: Literal["human.approval"] = Field(description="Node type.")
    config: ApprovalConfig = Field(description="Approval settings.")
