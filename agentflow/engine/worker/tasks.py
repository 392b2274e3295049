"""Each node runs as one Prefect task (retries and names per node); it finds its runtime by id."""

from __future__ import annotations

import functools
from typing import Any, Protocol

from prefect import task

from agentflow.engine.worker.walker import StepScope
from agentflow.graph import Node
from agentflow.nodes.context import ApprovalPending, NodeResult
from agentflow.nodes.errors import is_retryable


class TaskRuntime(Protocol):
    """What a node task needs of the runtime of its execution (engine/worker/runtime.py)."""

    steps_in_flight: dict[str, tuple[Node, StepScope]]

    async def task_body(self, node: Node, scope: StepScope) -> NodeResult: ...


def _retry_condition(task: Any, task_run: Any, state: Any) -> bool:
    # Prefect hands over a Failed state whose data is the exception the step raised.
    return isinstance(state.data, BaseException) and is_retryable(state.data)


# Runtimes of the executions running in this process. Tasks receive only two strings and find their
# runtime here: Prefect walks every task parameter looking for futures, and walking the runtime (the whole
# definition, every output so far) cost milliseconds per node.
RUNNING: dict[str, TaskRuntime] = {}


# No Prefect result persistence: a resumed or retried run reuses completed steps from their step rows
# (and Vault checkpoints, see checkpoints.py), which costs nothing per step; Prefect's persisted result
# and cache lookup cost about 1.5 to 2 ms per node (docs/performance.md).
@task(persist_result=False, log_prints=False)
async def node_step(execution_id: str, step_key: str) -> dict[str, Any]:
    """One node as a Prefect task (retries and name set per node with `with_options`)."""
    runtime = RUNNING[execution_id]
    node, scope = runtime.steps_in_flight[step_key]
    try:
        result = await runtime.task_body(node, scope)
    except ApprovalPending as pending:
        # Not a failure: the task completes, and the run suspends at flow level (tool_approvals.py).
        return {"waiting_for": pending.waiting_for}
    return {
        "output": result.output,
        "handles": list(result.handles),
        "tokens": result.tokens,
        "cost_usd": result.cost_usd,
    }


@functools.lru_cache(maxsize=4096)
def _node_task(name: str, run_name: str, retries: int, delays: tuple[float, ...]) -> Any:
    """Building a task costs (Prefect inspects the function): one per distinct node setup, reused. No Prefect
    timeout: the node's own is applied around its handler (timeouts.py), so its end can be recorded."""
    return node_step.with_options(
        name=name,
        task_run_name=run_name,
        retries=retries,
        retry_delay_seconds=list(delays) if retries else 0,
        retry_condition_fn=_retry_condition,
    )


def task_for(node: Node, default_retry: Any) -> Any:
    """The Prefect task of this node: its retry policy (the agent's default when it has none)."""
    policy = node.retry or default_retry
    delays = tuple(policy.delays()) if policy else ()
    return _node_task(node.type, node.id, policy.max_retries if policy else 0, delays)
