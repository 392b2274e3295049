"""The tool-calling loop of an AI node: ask the model, run the tools it calls (several at once when it asks
for several), feed the results back, until it answers or `max_tool_rounds` model calls were made.

Recording and replay: with the engine's `run_child`, every model round (`{step}/round/{n}`) and every tool
call (`{step}/tool/{n}.{i}`) is a child step. A re-run of the step (a retry, or the run resuming after an
approval) replays completed children whose input is unchanged instead of calling again: the conversation
comes out the same, and a tool that already acted (a message sent) does not act twice. What the step
records as spent (`usage` of the result) is what this run of it called; `output.usage` is the total over
all rounds.

Failures: a failing tool does not fail the step; its error text goes back to the model (`is_error`), which
may react. A model round that fails (after the fallback chain) fails the step as a plain chat would.
Reaching `max_tool_rounds` completes the step with the last answer and `stopped: "max_tool_rounds"`.
A call to a plain function spec ends the loop: those calls are returned in `tool_calls`, not run.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from agentflow.nodes.ai import prompts
from agentflow.nodes.ai.errors import AIStepError
from agentflow.nodes.ai.model import AiConfig
from agentflow.nodes.ai.operations import OperationResult, usage_json
from agentflow.nodes.ai.tools.kinds import BoundTool, bind_tools, function_specs
from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import ApprovalPending, ChildResult, NodeContext
from agentflow.nodes.errors import StepError
from agentflow.providers.base import Message, ProviderError, ToolCall, ToolSpec, Usage
from agentflow.providers.router import Router

# What of a tool's result goes back to the model (the whole result is on the child step).
MAX_RESULT_CHARS = 32_000


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _digest(messages: Sequence[Message], specs: Sequence[ToolSpec]) -> str:
    """The conversation a round answers: a replay reuses a recorded round only for the same one."""
    data = [
        [m.role, m.content, [c.to_json() for c in m.tool_calls], m.tool_call_id, m.name, m.is_error]
        for m in messages
    ]
    tools = [[s.name, s.description, s.parameters] for s in specs]
    return hashlib.sha256(orjson.dumps([data, tools], option=orjson.OPT_SORT_KEYS)).hexdigest()


def _usage_of(recorded: dict[str, Any]) -> Usage:
    usage = recorded["usage"]
    return Usage(
        int(usage["input_tokens"]),
        int(usage["output_tokens"]),
        Decimal(str(usage["cost_usd"])),
        bool(usage.get("cost_known", True)),
    )


def _calls_of(recorded: dict[str, Any]) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(c["id"], c["name"], c.get("arguments") or {}, c.get("raw_arguments") or "")
        for c in recorded["tool_calls"]
    )


def _result_text(result: Any) -> str:
    # Sorted keys: a result replayed from its record (JSONB keeps no key order) reads the same to the model.
    text = (
        result
        if isinstance(result, str)
        else orjson.dumps(result, default=str, option=orjson.OPT_SORT_KEYS).decode()
    )
    if len(text) > MAX_RESULT_CHARS:
        return text[:MAX_RESULT_CHARS] + f"… [truncated: {len(text)} characters in all]"
    return text


class AgentLoop:
    """One AI step's loop (one instance per step run)."""

    def __init__(
        self,
        config: AiConfig,
        node: NodeBase,
        ctx: NodeContext,
        *,
        router: Router,
        org_id: uuid.UUID,
        fallback_models: Sequence[str],
        deadline: float | None,
    ) -> None:
        self.config, self.node, self.ctx = config, node, ctx
        self.router, self.org_id, self.deadline = router, org_id, deadline
        self.chain = list(config.fallback_models or fallback_models)
        self.spent = Usage()  # called in this run of the step
        self.total = Usage()  # every round, replayed ones too
        self.attempts: list[dict[str, Any]] = []
        self.rounds: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []

    async def run(self) -> OperationResult:
        try:
            return await self._run()
        except (AIStepError, ApprovalPending) as exc:
            # What this run of the step spent before it stopped goes on its record too.
            exc.tokens += self.spent.input_tokens + self.spent.output_tokens
            exc.cost_usd += float(self.spent.cost_usd)
            if isinstance(exc, AIStepError):
                exc.usage = exc.usage + self.spent
            raise

    async def _run(self) -> OperationResult:
        tools = await bind_tools(self.config.tools, self.node, self.ctx)
        specs = [*(tool.spec for tool in tools.values()), *function_specs(self.config.tools)]
        messages = prompts.chat_messages(self.config)
        text, model, provider, stopped = "", "", "", "max_tool_rounds"
        for number in range(1, self.config.max_tool_rounds + 1):
            answer = await self._round(number, messages, specs)
            text, model, provider = answer["content"], answer["model"], answer["provider"]
            calls = _calls_of(answer)
            if not calls:
                stopped = "answer"
                break
            functions = [call for call in calls if call.name not in tools and self._is_function(call.name)]
            if functions:  # the caller runs plain functions: return them, as a chat step does
                self.calls.extend({**call.to_json(), "round": number} for call in functions)
                stopped = "function_call"
                break
            messages.append(Message("assistant", text, tool_calls=calls))
            messages.extend(await self._run_calls(number, calls, tools))
        body: dict[str, Any] = {
            "text": text,
            "tool_calls": self.calls,
            "rounds": self.rounds,
            "stopped": stopped,
        }
        output = {**body, "usage": usage_json(self.total, model=model, provider=provider)}
        return OperationResult(
            output=output, provider_attempts=self.attempts, usage=self.spent, model=model, provider=provider
        )

    def _is_function(self, name: str) -> bool:
        return any(spec.name == name for spec in function_specs(self.config.tools))

    async def _round(self, number: int, messages: list[Message], specs: list[ToolSpec]) -> dict[str, Any]:
        """One model call, recorded as a child step (replayed when the conversation is the same)."""
        fresh = False

        async def call() -> dict[str, Any]:
            nonlocal fresh
            try:
                routed = await self.router.chat(
                    self.org_id,
                    messages,
                    model=self.config.model,
                    fallback_models=self.chain,
                    temperature=self.config.temperature,
                    max_tokens=self.config.max_tokens,
                    tools=specs,
                    deadline=self.deadline,
                )
            except ProviderError as exc:
                raise AIStepError(
                    str(exc), code=exc.kind, retryable=exc.retryable, usage=exc.usage, attempts=exc.attempts
                ) from exc
            fresh = True
            response = routed.result
            return {
                "content": response.content,
                "tool_calls": [
                    {**c.to_json(), "raw_arguments": c.raw_arguments} for c in response.tool_calls
                ],
                "model": response.model,
                "provider": response.provider,
                "finish_reason": response.finish_reason,
                "usage": usage_json(routed.usage, model=response.model, provider=response.provider),
                "provider_attempts": [attempt.to_json() for attempt in routed.attempts],
            }

        if self.ctx.run_child is None:
            answer = await call()
        else:
            answer = await self.ctx.run_child(
                f"round/{number}",
                node_type="ai.round",
                name=f"{self.node.name or self.node.id}: model round {number}",
                input={"round": number, "messages": len(messages), "conversation": _digest(messages, specs)},
                call=call,
                retry=False,  # the step's own retry policy (and the fallback chain) cover model calls
            )
        usage = _usage_of(answer)
        self.total = self.total + usage
        if fresh:
            self.spent = self.spent + usage
        self.attempts.extend(answer.get("provider_attempts") or [])
        self.rounds.append(
            {
                "round": number,
                "model": answer["model"],
                "provider": answer["provider"],
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cost_usd": float(usage.cost_usd),
                "tool_calls": len(answer["tool_calls"]),
            }
        )
        return answer

    async def _run_calls(
        self, number: int, calls: Sequence[ToolCall], tools: dict[str, BoundTool]
    ) -> list[Message]:
        """The round's tool results, in the order of the calls. Approvals are asked first, one at a time
        (a run waits for one decision at a time); then every call runs at once."""
        decisions: dict[int, dict[str, Any]] = {}
        for index, call in enumerate(calls):
            if call.name in self.config.require_approval_for and call.name in tools:
                decisions[index] = await self._approval(number, index, call)
        outcomes = await asyncio.gather(
            *(self._call(number, i, call, tools, decisions.get(i)) for i, call in enumerate(calls)),
            return_exceptions=True,
        )
        messages = []
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome  # not a tool's failure (those are results): cancellation, a recording failure
            messages.append(outcome)
        return messages

    async def _approval(self, number: int, index: int, call: ToolCall) -> dict[str, Any]:
        if self.ctx.request_approval is None:
            raise AIStepError(
                f"tool {call.name!r} needs an approval, which this worker cannot ask for",
                code="config",
                retryable=False,
            )
        return await self.ctx.request_approval(
            f"tool/{number}.{index}/approval",
            tool=call.name,
            arguments=call.arguments,
            timeout_seconds=self.config.approval_timeout_seconds,
        )

    async def _call(
        self,
        number: int,
        index: int,
        call: ToolCall,
        tools: dict[str, BoundTool],
        decision: dict[str, Any] | None,
    ) -> Message:
        key = f"tool/{number}.{index}"
        record: dict[str, Any] = {**call.to_json(), "round": number}
        self.calls.append(record)
        tool = tools.get(call.name)
        error: str | None = None
        result: Any = None
        if tool is None:
            error = f"unknown tool {call.name!r}"
        elif call.raw_arguments and not call.arguments and call.raw_arguments.strip() not in ("", "{}"):
            error = "the arguments were not a valid JSON object"
        elif decision is not None and not decision.get("approved"):
            timed_out = decision.get("timed_out")
            how = "timed out waiting for approval" if timed_out else "rejected by the approver"
            comment = f": {decision['comment']}" if decision.get("comment") else ""
            error = f"the call was {how}{comment}; it did not run"
            record["rejected"] = True
        else:
            record["step_key"] = key
            try:
                result = await self._execute(key, call, tool)
            except ApprovalPending:
                raise
            except StepError as exc:
                error = exc.message
            except Exception as exc:  # a tool's own failure: the model hears of it
                error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            record["error"] = error
            return Message("tool", error, tool_call_id=call.id, name=call.name, is_error=True)
        record["result"] = result
        return Message("tool", _result_text(result), tool_call_id=call.id, name=call.name)

    async def _execute(self, key: str, call: ToolCall, tool: BoundTool) -> Any:
        async def run() -> Any:
            return await tool.run(call.arguments, key)

        if self.ctx.run_child is None:
            outcome = await run()
        else:
            outcome = await self.ctx.run_child(
                key,
                node_type=tool.node_type,
                name=f"{self.node.name or self.node.id}: {call.name}",
                input={"tool": call.name, "arguments": call.arguments},
                call=run,
            )
        return outcome.output if isinstance(outcome, ChildResult) else outcome
