"""Child steps: what an AI step does on the way (each model round, each tool call, each approval) recorded
as steps of their own, under `{step_key}/round/{n}`, `{step_key}/tool/{n}.{i}` and `…/approval`, with the
AI node's id, so the live view and the step list show them like any step (input, output, attempts, time).

- Retries: a tool call that fails transiently is retried with the node's retry policy, each attempt
  recorded. A failure that remains goes back to the caller (the AI node tells the model).
- Reuse: a re-run of the parent step (a Prefect retry, a run resumed after an approval, a retried
  execution) finds a completed child with the same key and the same recorded input and returns its output
  without running it again: a message the model had sent is not sent twice.
- Totals: a child row carries only a cost of its own (a sub-agent's run, `ChildResult`); model rounds cost
  on the AI step's row, so an execution's totals (the sum over step rows, store.finish) count each once.
- Secrets: input and output are masked like every step's; a reused output is the masked one.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from agentflow.engine.worker.failures import masked_error
from agentflow.engine.worker.subagents import SubAgents
from agentflow.engine.worker.walker import StepScope
from agentflow.graph import Node
from agentflow.kit.fastread import compile_query
from agentflow.nodes.context import ApprovalPending, ChildResult, NodeContext
from agentflow.nodes.errors import is_retryable
from agentflow.secrets.masking import Masker

if TYPE_CHECKING:
    from agentflow.engine.worker.runtime import Runtime

_COMPLETED_CHILD = compile_query(
    text(
        """
        SELECT input, output FROM execution_steps
        WHERE execution_id = :execution_id AND step_key = :step_key AND status = 'completed'
        """
    )
)
_NAME_LIMIT = 200  # execution_steps.name


def _normal(value: Any) -> Any:
    """As the value reads back from a JSONB column (tuples as lists, keys as strings)."""
    return orjson.loads(orjson.dumps(value, default=str))


class Children:
    """The child steps of one run of one step (`node` at `scope`)."""

    def __init__(self, runtime: Runtime, node: Node, scope: StepScope, masker: Masker, *, attempt: int):
        self.runtime, self.node, self.scope, self.masker = runtime, node, scope, masker
        # Only a step that ran before (or an execution that ran before) can have children to reuse.
        self.may_reuse = attempt > 1 or not runtime.fresh
        policy = node.retry or runtime.definition.settings.default_retry
        self.delays = policy.delays() if policy else []

    def key(self, key: str) -> str:
        return f"{self.scope.key}/{key}"

    async def _recorded(self, step_key: str, recorded_input: Any) -> tuple[bool, Any]:
        if not self.may_reuse:
            return False, None
        row = await self.runtime.store.db.fetchrow(
            _COMPLETED_CHILD, execution_id=self.runtime.execution.id, step_key=step_key
        )
        if row is None or row["input"] != _normal(recorded_input):
            return False, None
        return True, row["output"]

    async def _start(self, step_key: str, node_type: str, name: str, recorded: Any, status: str) -> int:
        return await self.runtime.store.step_started(
            self.runtime.org_id,
            self.runtime.execution.id,
            step_key=step_key,
            node_id=self.node.id,
            node_type=node_type,
            name=name[:_NAME_LIMIT],
            input=recorded,
            status=status,
        )

    async def _completed(self, step_key: str, output: Any, *, tokens: int = 0, cost_usd: float = 0) -> None:
        await self.runtime.store.step_ended(
            self.runtime.org_id,
            self.runtime.execution.id,
            step_key=step_key,
            status="completed",
            event_type="step.completed",
            event_data={"output": output},
            output=output,
            tokens=tokens,
            cost_usd=cost_usd,
        )

    async def run_child(
        self,
        key: str,
        *,
        node_type: str,
        name: str,
        input: Any,
        call: Callable[[], Awaitable[Any]],
        retry: bool = True,
    ) -> Any:
        """See `agentflow.nodes.context.RunChild`."""
        step_key = self.key(key)
        recorded = self.masker.mask(input)
        found, output = await self._recorded(step_key, recorded)
        if found:
            return output
        retries = len(self.delays) if retry else 0
        while True:
            attempt = await self._start(step_key, node_type, name, recorded, "running")
            try:
                outcome = await call()
            except Exception as exc:
                will_retry = is_retryable(exc) and attempt <= retries
                await self._failed(step_key, exc, attempt=attempt, will_retry=will_retry)
                if not will_retry:
                    raise
                await asyncio.sleep(self.delays[min(attempt - 1, len(self.delays) - 1)])
                continue
            value, tokens, cost = (
                (outcome.output, outcome.tokens, outcome.cost_usd)
                if isinstance(outcome, ChildResult)
                else (outcome, 0, 0.0)
            )
            await self._completed(step_key, self.masker.mask(value), tokens=tokens, cost_usd=cost)
            return value

    async def _failed(self, step_key: str, exc: Exception, *, attempt: int, will_retry: bool) -> None:
        # No tokens or cost here: a failed model round's spend is on the AI step's row.
        masked = masked_error(exc, self.masker, attempts=attempt)
        status = "retrying" if will_retry else "failed"
        await self.runtime.store.step_ended(
            self.runtime.org_id,
            self.runtime.execution.id,
            step_key=step_key,
            status=status,
            event_type="step.retrying" if will_retry else "step.failed",
            event_data={"error": masked.message, "kind": masked.kind, "attempt": attempt, "status": status},
            output=masked.output,
            error=masked.message,
            error_kind=masked.kind,
        )

    async def request_approval(
        self, key: str, *, tool: str, arguments: dict[str, Any], timeout_seconds: int
    ) -> dict[str, Any]:
        """See `agentflow.nodes.context.RequestApproval`: a decision recorded through the API (in the
        execution's `waiting_for.decision`, as for approval nodes) or by the deadline sweeper decides."""
        step_key = self.key(key)
        recorded = self.masker.mask({"tool": tool, "arguments": arguments})
        found, output = await self._recorded(step_key, recorded)
        if found:
            return dict(output)
        waiting = self.runtime.execution.waiting_for or {}
        here = waiting.get("step_key") == step_key
        decision = waiting.get("decision") if here else None
        if isinstance(decision, dict) and not decision.get("pending"):
            await self._completed(step_key, decision)
            return decision
        if here:  # resumed without a decision (from Prefect, not AgentFlow): wait anew
            pending = {k: v for k, v in waiting.items() if k != "decision"}
            pending["round"] = int(pending.get("round", 0)) + 1
        else:
            name = f"{self.node.name or self.node.id}: approve {tool}"
            await self._start(step_key, "tool.approval", name, recorded, "waiting")
            shown = orjson.dumps(recorded["arguments"], default=str).decode()
            pending = {
                "node_id": self.node.id,
                "step_key": step_key,
                "kind": "tool_call",
                "tool": tool,
                "arguments": recorded["arguments"],
                "message": f"Allow the AI step {self.node.id} to call {tool} with {shown[:1000]}?",
                "approvers": [],
                "on_timeout": "reject",
                "deadline": (datetime.now(UTC) + timedelta(seconds=timeout_seconds)).isoformat(),
                "input_schema": None,
                "round": 0,
            }
        raise ApprovalPending(self.masker.mask(pending))


def with_children(
    runtime: Runtime, node: Node, scope: StepScope, base: NodeContext, masker: Masker, *, attempt: int
) -> NodeContext:
    """The node context of an AI step: its tool calls and rounds recorded as child steps."""
    children = Children(runtime, node, scope, masker, attempt=attempt)
    agents = base.agents.for_step(scope.key) if isinstance(base.agents, SubAgents) else base.agents
    return dataclasses.replace(
        base, run_child=children.run_child, request_approval=children.request_approval, agents=agents
    )
