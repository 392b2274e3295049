"""A node of a fast-lane execution, run inline: the runtime's task body without a Prefect task, with the
node's retry policy applied here (the same delays and retryable errors as a node task's, tasks.py)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from agentflow.engine.worker.walker import StepScope
from agentflow.graph import Node
from agentflow.nodes.context import ApprovalPending, NodeResult
from agentflow.nodes.errors import StepError, is_retryable


class InlineRuntime(Protocol):
    definition: Any

    async def task_body(
        self, node: Node, scope: StepScope, *, tries: tuple[int, int] | None = None
    ) -> NodeResult: ...


async def inline_step(runtime: InlineRuntime, node: Node, scope: StepScope) -> NodeResult:
    policy = node.retry or runtime.definition.settings.default_retry
    retries = policy.max_retries if policy else 0
    delays = list(policy.delays()) if policy else []
    attempt = 1
    while True:
        try:
            return await runtime.task_body(node, scope, tries=(attempt, retries))
        except ApprovalPending:  # publishing refuses tool approvals in the fast mode: never wait here
            raise StepError("Tool approvals need the standard execution mode") from None
        except StepError as exc:
            if attempt > retries or not is_retryable(exc):
                raise
        await asyncio.sleep(delays[min(attempt - 1, len(delays) - 1)] if delays else 0)
        attempt += 1
