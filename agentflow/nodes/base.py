"""Pieces shared by every node model: strict base model, id rules, retry policy, builder position."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NODE_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
NODE_ID_RE = re.compile(NODE_ID_PATTERN)
NODE_ID_MAX_LENGTH = 64

# Output handles several node types share.
DEFAULT_HANDLE = "default"
ERROR_HANDLE = "error"

# A config field carrying this marker is data about shapes (a JSON Schema, tool specs), not text to render:
# the renderer and the reference checker leave it alone.
NOT_TEMPLATED: dict[str, Any] = {"x-templated": False}


class StrictModel(BaseModel):
    """Base of every definition model: unknown fields are refused instead of silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Position(StrictModel):
    """Where the builder draws the node; has no effect on execution."""

    x: float = Field(description="Horizontal canvas coordinate.")
    y: float = Field(description="Vertical canvas coordinate.")


class RetryPolicy(StrictModel):
    """How a failing step is retried: attempt n waits `backoff_seconds * 2**(n-1)` (exponential)."""

    max_retries: int = Field(default=3, ge=0, le=10, description="Retries after the first failed attempt.")
    backoff_seconds: float = Field(
        default=2.0, ge=0, le=3600, description="Wait before the first retry; doubles on each further retry."
    )

    def delays(self) -> list[float]:
        """Seconds to wait before each retry, in order (what Prefect's `retry_delay_seconds` takes)."""
        return [self.backoff_seconds * 2**attempt for attempt in range(self.max_retries)]


class NodeBase(StrictModel):
    """Fields every node has; each node type adds its `type` literal and its `config` model."""

    id: str = Field(
        min_length=1,
        max_length=NODE_ID_MAX_LENGTH,
        pattern=NODE_ID_PATTERN,
        description="Unique id, `[a-z][a-z0-9_]*`; other nodes refer to it as `{{id.output…}}`.",
    )
    # `type` and `config` are narrowed by each node type; declared here so every node lists its fields in the
    # same order (id, type, name, config, …) in dumps, schemas and forms.
    type: str = Field(description="Node type.")
    name: str = Field(default="", max_length=200, description="Display name shown on the canvas and in runs.")
    config: StrictModel = Field(description="Settings of this node type.")
    retry: RetryPolicy | None = Field(
        default=None,
        description="Retries for transient failures; the agent's `settings.default_retry` if unset.",
    )
    timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description="End the step as `timed_out` if it runs longer than this many seconds (not retried): "
        "an `error` edge catches it if the node has one, else the execution fails.",
    )
    position: Position | None = Field(default=None, description="Canvas position used by the web builder.")
