"""Approvals before an AI step's tool call: the step ends `waiting` (the pending call and what the step
spent so far recorded), the flow run suspends as for an approval node, and once the decision is recorded
(`waiting_for.decision`, through the API or the deadline sweeper) the run resumes and the AI step runs
again: it replays its recorded rounds and tool calls (children.py) and, at the call that waited, either
runs the approved tool or tells the model it was rejected. Everything that decides is in Postgres, so a
worker restart in between changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

from agentflow.engine.worker.suspension import suspend_for_approval
from agentflow.engine.worker.walker import StepScope
from agentflow.graph import Node
from agentflow.nodes.context import ApprovalPending

if TYPE_CHECKING:
    from agentflow.engine.worker.runtime import Runtime

# Prefect's own suspension timeout is only a backstop: the sweeper decides at the deadline, earlier.
_SUSPEND_BACKSTOP = timedelta(days=1)


async def step_waiting(runtime: Runtime, node: Node, scope: StepScope, pending: ApprovalPending) -> None:
    """Inside the step's task: the step ends `waiting`, with what it spent so far."""
    await runtime.store.step_ended(
        runtime.org_id,
        runtime.execution.id,
        step_key=scope.key,
        status="waiting",
        event_type="step.waiting",
        event_data={"waiting_for": pending.waiting_for},
        tokens=pending.tokens,
        cost_usd=pending.cost_usd,
    )


async def suspend(runtime: Runtime, node: Node, pending: ApprovalPending) -> NoReturn:
    """At flow level: suspend the run until a decision is recorded (never returns: Prefect's Pause ends
    the walk, and the run's end records the execution paused with `waiting_for`)."""
    waiting = dict(pending.waiting_for)
    deadline = datetime.fromisoformat(str(waiting["deadline"]))
    left = max(0, int((deadline - datetime.now(UTC)).total_seconds()))
    timeout_seconds = left + int(_SUSPEND_BACKSTOP.total_seconds())
    while True:
        runtime.pending_wait = (node, str(waiting["step_key"]), waiting)
        # Returns (instead of suspending) only for a key that was already suspended and resumed.
        await suspend_for_approval(
            runtime, waiting, key=f"{waiting['step_key']}#{waiting['round']}", timeout_seconds=timeout_seconds
        )
        waiting["round"] = int(waiting["round"]) + 1
