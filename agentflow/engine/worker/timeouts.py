"""A node's `timeout_seconds`, enforced by the runtime around the handler (not by Prefect's task timeout).

Why not Prefect's: its task timeout cancels the task's whole anyio scope, and that cancellation is repeated
at every later `await` inside the task, so the step's end could never be written: the row stayed `running`.
Here only the handler is cancelled; the timeout becomes a `StepTimedOut` (kind `timed_out`, not retried:
the node's time ran out), which the runtime records as the step's end (`timed_out`) and which the walker
treats like any step failure: the node's `error` handle catches it, otherwise the execution fails. The same
wrapper covers flow-level nodes (loops), which are no Prefect task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from agentflow.nodes.errors import ErrorKind, StepError

T = TypeVar("T")


class StepTimedOut(StepError):
    """The node ran longer than its `timeout_seconds`."""

    kind: ErrorKind = "timed_out"


async def within_timeout(seconds: float | None, work: Awaitable[T], *, node_id: str) -> T:
    """Await `work`, failing with StepTimedOut after `seconds` (no limit when None)."""
    if seconds is None:
        return await work
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            return await work
    except TimeoutError:
        if not deadline.expired():  # a TimeoutError of the handler's own (it has its own message)
            raise
        raise StepTimedOut(f"Node {node_id} ran longer than its timeout of {seconds:g}s") from None
