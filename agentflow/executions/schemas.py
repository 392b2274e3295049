"""Execution bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, StringConstraints, model_validator

from agentflow.kit.schemas import InputSchema, RecordPublic, Schema, examples
from agentflow.models import ExecutionStatus, TriggeredBy
from agentflow.nodes.base import NODE_ID_PATTERN


class ExecuteRequest(InputSchema):
    model_config = examples({"input": {"text": "The export button crashes"}})

    input: Any = Field(default=None, description="The run's input; the trigger node's output.")


MAX_SAMPLE_BYTES = 32 * 1024
MAX_TEST_NODES = 100


class TestNodeOption(InputSchema):
    """How one side-effecting node behaves in a test run."""

    mode: Literal["preview", "sample", "send"] = Field(
        default="preview",
        description="`preview`: describe the request, send nothing (the default). `sample`: the same "
        "preview, with `sample` merged into its output so downstream nodes can read a response. `send`: "
        "really send it, as a published run would.",
    )
    sample: dict[str, Any] | None = Field(
        default=None,
        description="The response to pretend the node got (an HTTP node: `{status, headers, body}`); "
        f"at most {MAX_SAMPLE_BYTES // 1024} KiB as JSON.",
    )

    @model_validator(mode="after")
    def _sample_fits(self) -> TestNodeOption:
        if self.mode == "sample" and self.sample is None:
            raise ValueError("a sample response is needed when the mode is sample")
        if self.sample is not None and len(orjson.dumps(self.sample)) > MAX_SAMPLE_BYTES:
            raise ValueError(f"a sample response can be at most {MAX_SAMPLE_BYTES // 1024} KiB")
        return self


class TestRunRequest(InputSchema):
    model_config = examples(
        {
            "input": {"text": "hello"},
            # Node ids of the definition under test (here the example agent's AI step, left on preview).
            "nodes": {"classify": {"mode": "preview"}},
        }
    )

    input: Any = Field(default=None, description="Sample input for the trigger.")
    definition: dict[str, Any] | None = Field(
        default=None, description="A definition to test instead of the saved draft (e.g. unsaved edits)."
    )
    nodes: dict[Annotated[str, StringConstraints(pattern=NODE_ID_PATTERN, max_length=64)], TestNodeOption] = (
        Field(
            default_factory=dict,
            max_length=MAX_TEST_NODES,
            description="Per node id of the definition: preview (the default), a sample response or send.",
        )
    )


class ExecutionAccepted(Schema):
    id: uuid.UUID
    status: ExecutionStatus
    agent_id: uuid.UUID


class ExecutionPublic(RecordPublic):
    agent_id: uuid.UUID
    version_id: uuid.UUID | None
    status: ExecutionStatus
    triggered_by: TriggeredBy
    triggered_by_user: uuid.UUID | None
    input: Any
    output: Any
    error: str | None
    failed_node: str | None
    waiting_for: dict[str, Any] | None = Field(description="The pending approval while paused.")
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    total_tokens: int
    total_cost_usd: float = Field(description="Sum of the steps' costs in US dollars.")
    attempt: int
    prefect_flow_run_id: uuid.UUID | None = Field(
        description="The Prefect flow run it ran in: its own, or (lane `fast`) its worker's fast-lane run."
    )
    lane: Literal["standard", "fast"] = Field(
        default="standard",
        description="`fast` when its version's `settings.execution_mode` is `fast`: a task run inside a "
        "worker's fast-lane flow run rather than a flow run of its own.",
    )
    version: int | None = Field(
        default=None, description="Number of the published version that ran; null for test runs."
    )
    approval: Literal["waiting", "approved", "rejected"] | None = Field(
        default=None,
        description="Its approval steps: `waiting` for a decision, `rejected` if any was rejected, else "
        "`approved`; null without any.",
    )


class StepPublic(Schema):
    step_key: str = Field(description="Node id, with loop indexes for steps inside loop bodies: `greet[2]`.")
    node_id: str
    node_type: str
    name: str
    attempt: int
    status: Literal[
        "running", "retrying", "waiting", "completed", "failed", "timed_out", "skipped", "cancelled"
    ]
    input: Any
    output: Any
    error: str | None
    error_kind: Literal["transient", "permanent", "cancelled", "timed_out"] | None = Field(
        default=None,
        description="What kind of failure ended a failed step: `transient` ones were retried as the node's "
        "retry policy allows.",
    )
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    tokens: int
    cost_usd: float


class LogPublic(Schema):
    id: int
    level: str
    message: str
    node_id: str | None
    step_key: str | None
    created_at: datetime


class EventPublic(Schema):
    id: int
    type: str
    node_id: str | None
    step_key: str | None
    data: Any
    created_at: datetime


class ApproveRequest(InputSchema):
    model_config = examples({"approved": True, "comment": "Looks right"})

    approved: bool
    comment: str = Field(default="", max_length=5000)
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Values for the approval's input_schema."
    )


class RetryRequest(InputSchema):
    model_config = examples({"from_failed": True})

    from_failed: bool = Field(
        default=True,
        description="Re-run from the failed step, reusing completed steps; false starts a new execution.",
    )


class ExecutionFilters(InputSchema):
    agent_id: uuid.UUID | None = None
    status: ExecutionStatus | None = None
    triggered_by: TriggeredBy | None = None
    since: datetime | None = None
    until: datetime | None = None
