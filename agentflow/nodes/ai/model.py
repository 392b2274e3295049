"""The ai node: one LLM call (chat, summarize, classify or extract)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from agentflow.nodes.base import NOT_TEMPLATED, NodeBase, StrictModel

AiOperation = Literal["chat", "summarize", "classify", "extract"]


class AiTool(StrictModel):
    """A function the model may call, described the way LLM providers expect."""

    name: str = Field(min_length=1, max_length=64, description="Function name the model calls.")
    description: str = Field(default="", description="What the function does; the model reads this.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the function's arguments.",
    )


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
            "connection error (never on a rejected request); the agent's chain if empty."
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
    tools: list[AiTool] = Field(
        default_factory=list,
        description="Functions the model may call (for `chat`).",
        json_schema_extra=NOT_TEMPLATED,
    )


class AiNode(NodeBase):
    """Calls a language model; output `{text}`, `{label, confidence}` or the extracted object, + `usage`."""

    type: Literal["ai"] = Field(description="Node type.")
    config: AiConfig = Field(description="Model call settings.")
