"""The ai node: one LLM call (chat, summarize, classify or extract)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from agentflow.nodes.ai.tool_models import MAX_TOOLS, AiTool, AnyTool, default_name
from agentflow.nodes.base import NOT_TEMPLATED, NodeBase, StrictModel

__all__ = ["AiConfig", "AiNode", "AiOperation", "AiTool"]

AiOperation = Literal["chat", "summarize", "classify", "extract"]


class AiConfig(StrictModel):
    """The prompt, the model and what to do with the answer."""

    operation: AiOperation = Field(
        default="chat",
        description=(
            "`chat` answers the prompt, `summarize` condenses it, `classify` picks one of `labels`, "
            "`extract` returns an object matching `output_schema`."
        ),
    )
    model: str | None = Field(
        default=None,
        description="Model name, e.g. `gpt-4o-mini` or `llama3.1`; the organization's default if unset.",
    )
    fallback_models: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description=(
            "Models tried in order when the call fails with a rate limit, a server error, a timeout or a "
            "connection error (never on a rejected request); the organization's chain (Settings → AI "
            "providers) if empty."
        ),
    )
    prompt: str = Field(description="User message; may use `{{…}}` references.")
    system: str | None = Field(default=None, description="System message; may use `{{…}}` references.")
    temperature: float | None = Field(
        default=None, ge=0, le=2, description="Sampling temperature; the provider's default if unset."
    )
    max_tokens: int | None = Field(default=None, gt=0, description="Upper bound on generated tokens.")
    labels: list[str] | None = Field(
        default=None, description="For `classify`: the labels to choose from (at least two)."
    )
    output_schema: dict[str, Any] | None = Field(
        default=None,
        description="For `extract`: JSON Schema (an object) the answer must match.",
        json_schema_extra=NOT_TEMPLATED,
    )
    tools: list[AnyTool] = Field(
        default_factory=list,
        max_length=MAX_TOOLS,
        description=(
            "Tools the model may call (for `chat`): plain function specs, whose calls are returned in "
            "`tool_calls`, or integration actions, knowledge bases, HTTP requests, other agents and MCP "
            "tools, which the engine runs, feeding their results back until the model answers."
        ),
        json_schema_extra=NOT_TEMPLATED,
    )
    max_tool_rounds: int = Field(
        default=8,
        ge=1,
        le=32,
        description=(
            "Model calls at most in one step when tools run; after the last one the step completes with "
            "the last answer and `stopped: max_tool_rounds`."
        ),
    )
    require_approval_for: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        max_length=MAX_TOOLS,
        description="Tool names that wait for a human approval before each call runs.",
    )
    approval_timeout_seconds: int = Field(
        default=86400,
        ge=60,
        le=30 * 86400,
        description="How long a tool call waits for its approval; then it counts as rejected.",
    )

    @model_validator(mode="after")
    def _tool_names(self) -> AiConfig:
        names = [default_name(tool) for tool in self.tools]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"tool names must be unique; repeated: {', '.join(repeated)}")
        unknown = sorted(set(self.require_approval_for) - set(names))
        if unknown:
            raise ValueError(f"require_approval_for names no tool of this node: {', '.join(unknown)}")
        return self

    def runs_tools(self) -> bool:
        """True when some tool is run by the engine (not only plain function specs)."""
        return any(not isinstance(tool, AiTool) for tool in self.tools)


class AiNode(NodeBase):
    """Calls a language model; output `{text}`, `{label, confidence}` or the extracted object, + `usage`."""

    type: Literal["ai"] = Field(description="Node type.")
    config: AiConfig = Field(description="Model call settings.")
