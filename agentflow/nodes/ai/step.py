"""`AINodeHandler`: runs one `ai` node step — render, call the operation, shape what the step records.

What the handler needs from the engine, `AINodeContext` (kept minimal; any object with these attributes):

- `org_id: uuid.UUID` — whose provider settings and routing policy apply;
- `router: Router` — one per process, shared by every step (it caches the provider clients);
- `template_context: Mapping[str, Any]` — what `{{…}}` sees, from `agentflow.templating.build_context`
  (its `env` values are the secrets masked in the stored prompts);
- `deadline: float | None` — `time.monotonic()` by which the step must be done (the node's timeout, capped
  by the execution's), or None; each provider call gets the time that is left, and the step is cancelled
  when it runs out;
- `fallback_models: Sequence[str]` — the agent's fallback chain, used when the node has none of its own;
- `on_text: Callable[[str], Awaitable[None]] | None` — receives streamed text of chat/summarize for the live
  view, or None to make plain (non-streaming) calls;
- optionally `tools: ToolsContext | None` — the engine's node and context, needed when the node has tools
  the engine runs (the agent loop, nodes/ai/tools/loop.py).

Cancellation is plain asyncio: cancelling the task cancels the provider call.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentflow.nodes.ai import operations
from agentflow.nodes.ai.errors import AIStepError
from agentflow.nodes.ai.model import AiConfig
from agentflow.nodes.ai.prompts import render_config
from agentflow.nodes.ai.tools.loop import AgentLoop
from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import NodeContext
from agentflow.providers.base import Usage
from agentflow.providers.router import Router
from agentflow.templating import TemplateError


class AINodeContext(Protocol):
    """What the engine hands the handler for one step (see the module docstring)."""

    @property
    def org_id(self) -> uuid.UUID: ...
    @property
    def router(self) -> Router: ...
    @property
    def template_context(self) -> Mapping[str, Any]: ...
    @property
    def deadline(self) -> float | None: ...
    @property
    def fallback_models(self) -> Sequence[str]: ...
    @property
    def on_text(self) -> Callable[[str], Awaitable[None]] | None: ...


@dataclass(frozen=True, slots=True)
class ToolsContext:
    """What running tools takes: the AI node (names its child steps) and the engine's node context."""

    node: NodeBase
    context: NodeContext


@dataclass(frozen=True, slots=True)
class StepContext:
    """A plain `AINodeContext` (tests, benchmarks, and a starting point for the engine's adapter)."""

    org_id: uuid.UUID
    router: Router
    template_context: Mapping[str, Any] = field(default_factory=dict)
    deadline: float | None = None
    fallback_models: Sequence[str] = ()
    on_text: Callable[[str], Awaitable[None]] | None = None
    tools: ToolsContext | None = None


@dataclass(frozen=True, slots=True)
class AINodeResult:
    """What the step records: `output` (what other nodes reference), attempts, stored prompts, usage."""

    output: dict[str, Any]
    provider_attempts: list[dict[str, Any]]
    rendered: dict[str, str | None]  # {"prompt", "system"} as sent, secrets masked
    # What this run of the step spent, exact Decimal cost; output["usage"] is the same as JSON numbers,
    # except after an agent loop replayed recorded rounds (then output["usage"] is the total of all rounds).
    usage: Usage


class AINodeHandler:
    """Runs `ai` nodes; one instance serves every step (it holds no per-step state)."""

    node_type = "ai"

    def __init__(self, *, validation_retries: int = operations.DEFAULT_VALIDATION_RETRIES) -> None:
        self.validation_retries = validation_retries

    async def run(self, config: AiConfig | Mapping[str, Any], ctx: AINodeContext) -> AINodeResult:
        """Render the config against the step's context, call the operation, return what to record."""
        base = config if isinstance(config, AiConfig) else AiConfig.model_validate(config)
        try:
            rendered = render_config(base, ctx.template_context)
        except TemplateError as exc:
            raise AIStepError(exc.message, code="template", retryable=False) from exc
        try:
            result = await self._call(rendered.config, ctx)
        except AIStepError as exc:
            exc.rendered = rendered.stored
            raise
        return AINodeResult(
            output=result.output,
            provider_attempts=result.provider_attempts,
            rendered=rendered.stored,
            usage=result.usage,
        )

    async def run_rendered(self, config: AiConfig, ctx: AINodeContext) -> AINodeResult:
        """Like `run` for a config the engine has already rendered (its templates must not run twice:
        text that came from a run's input may itself contain `{{`)."""
        stored: dict[str, str | None] = {"prompt": config.prompt, "system": config.system}
        try:
            result = await self._call(config, ctx)
        except AIStepError as exc:
            exc.rendered = stored
            raise
        return AINodeResult(
            output=result.output,
            provider_attempts=result.provider_attempts,
            rendered=stored,
            usage=result.usage,
        )

    async def _call(self, config: AiConfig, ctx: AINodeContext) -> operations.OperationResult:
        deadline = ctx.deadline
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise AIStepError(
                "the step's time budget ran out before the call", code="timeout", retryable=True
            )
        common: dict[str, Any] = {
            "router": ctx.router,
            "org_id": ctx.org_id,
            "fallback_models": ctx.fallback_models,
            "deadline": deadline,
        }
        try:
            async with asyncio.timeout(remaining):
                if config.operation == "chat" and config.runs_tools():
                    tools: ToolsContext | None = getattr(ctx, "tools", None)
                    if tools is None:
                        message = "this node's tools can only run inside an execution"
                        raise AIStepError(message, code="config", retryable=False)
                    loop = AgentLoop(config, tools.node, tools.context, **common)
                    return await loop.run()
                if config.operation == "chat":
                    return await operations.chat(config, on_text=ctx.on_text, **common)
                if config.operation == "summarize":
                    return await operations.summarize(config, on_text=ctx.on_text, **common)
                if config.operation == "classify":
                    return await operations.classify(
                        config, validation_retries=self.validation_retries, **common
                    )
                return await operations.extract(config, validation_retries=self.validation_retries, **common)
        except TimeoutError as exc:
            budget = f" ({remaining:.1f}s)" if remaining is not None else ""
            raise AIStepError(
                f"the step did not finish within its time budget{budget}", code="timeout", retryable=True
            ) from exc
