"""`human.approval` steps: suspend the flow run until the API records a decision, then take its handle.

The decision is read from the execution's `waiting_for.decision` (written by the API, or by the sweeper on a
deadline), never from Prefect's run input: only a decision recorded through the API decides.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import BaseModel

from agentflow.engine.worker.suspension import suspend_for_approval
from agentflow.engine.worker.walker import StepScope
from agentflow.graph import Node
from agentflow.nodes.context import NodeResult
from agentflow.nodes.errors import PermanentStepError

if TYPE_CHECKING:
    from agentflow.engine.worker.runtime import Runtime

logger = logging.getLogger("agentflow.engine")

# Prefect's own suspension timeout is only a backstop: AgentFlow applies `on_timeout` itself, earlier.
_SUSPEND_BACKSTOP = timedelta(days=1)


class ApprovalDecision(BaseModel):
    """A decision on a paused approval, as the API (or the deadline sweeper) records it in the execution's
    `waiting_for.decision`; the engine reads it from there, never from Prefect's run input."""

    approved: bool
    comment: str = ""
    by: str | None = None
    at: str | None = None
    timed_out: bool = False
    fields: dict[str, Any] = {}


async def approval_step(runtime: Runtime, node: Node, scope: StepScope) -> NodeResult:
    step, _ = runtime.prepare(node, scope)
    config = step.config
    waiting = runtime.execution.waiting_for or {}
    here = waiting.get("step_key") == scope.key
    recorded = waiting.get("decision") if here else None
    if not isinstance(recorded, dict) or recorded.get("pending"):
        await _wait_for_decision(runtime, node, scope, config, step.recorded, waiting if here else None)
    decision = ApprovalDecision.model_validate(recorded)
    if decision.timed_out and config["on_timeout"] == "fail":
        error = PermanentStepError(f"Nobody decided on {node.id} within {config['timeout_seconds']}s")
        await runtime.failed(node, scope, error, will_retry=False)
        raise error
    output = {
        **decision.fields,  # the approver's fields never override what the decision itself says
        "approved": decision.approved,
        "comment": decision.comment,
        "by": decision.by,
        "at": decision.at,
        "timed_out": decision.timed_out,
    }
    result = NodeResult(output=output, handles=("approved" if decision.approved else "rejected",))
    await runtime.completed(node, scope, result)
    return result


async def _wait_for_decision(
    runtime: Runtime,
    node: Node,
    scope: StepScope,
    config: dict[str, Any],
    step_input: Any,
    waiting: dict[str, Any] | None,
) -> NoReturn:
    """Suspend the flow run until the API records a decision (never returns: Prefect's Pause ends the
    walk). A resume that brought no decision (from Prefect's UI or API, not AgentFlow's) waits anew
    under a fresh suspension key: only a decision recorded through the API decides."""
    if waiting is None:  # first time here: record the wait, then suspend
        await runtime.started(node, scope, step_input, status="waiting")
        deadline = datetime.now(UTC) + timedelta(seconds=int(config["timeout_seconds"]))
        waiting = {
            "node_id": node.id,
            "step_key": scope.key,
            # What approvers read: the recorded form, where a secret is a placeholder.
            "message": step_input.get("message", "") if isinstance(step_input, dict) else "",
            "approvers": config.get("approvers", []),
            "on_timeout": config["on_timeout"],
            "deadline": deadline.isoformat(),
            "input_schema": config.get("input_schema"),
            "round": 0,
        }
    else:
        logger.warning("execution %s resumed without a decision; waiting again", runtime.execution.id)
        waiting = {k: v for k, v in waiting.items() if k != "decision"}
        waiting["round"] = int(waiting.get("round", 0)) + 1
    runtime.pending_wait = (node, scope.key, runtime.masker.mask(waiting))
    while True:
        # Returns (instead of suspending) only for a key that was already suspended and resumed.
        await suspend_for_approval(
            runtime,
            waiting,
            key=f"{scope.key}#{waiting['round']}",
            timeout_seconds=int(config["timeout_seconds"] + _SUSPEND_BACKSTOP.total_seconds()),
        )
        waiting["round"] += 1
        runtime.pending_wait = (node, scope.key, runtime.masker.mask(waiting))
