"""The story of a run in its Prefect Logs tab: the execution's start and end, each step's start, end or error,
the wait for an approval. One line each, masked with the run's secrets before it leaves the worker.

Lines go to Prefect's API log worker (batched, sent from its own thread) as the records Prefect's run logger
makes, but without a `logging.LogRecord`: the logger path (handler, every active run's masking filter,
pydantic validation) cost ~85 µs a line here, this one ~7 µs, and every step writes two. What they say is
already masked, so the masking filters of other runs have nothing to add. `PREFECT_LOGGING_TO_API_ENABLED`
turns them off with Prefect's own. A line that cannot be sent is dropped, never a step's failure.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prefect.context import TaskRunContext, get_settings_context
from prefect.logging.handlers import emit_api_log

from agentflow.graph.definition import DEFAULT_HANDLE

if TYPE_CHECKING:
    from agentflow.engine.worker.runtime import Runtime
    from agentflow.graph import Node
    from agentflow.nodes.base import NodeResult

LOGGER_NAME = "agentflow.engine"
# Prefect refuses a log over 1 MB; a step's story needs far less, and an error body can be long.
MAX_LINE = 2000
logger = logging.getLogger("agentflow.engine.run_log")


def _emit(run: Runtime, level: int, text: str, *, task_run: bool = False) -> None:
    if run.flow_run_id is None:  # not a Prefect flow run (the engine driven directly)
        return
    try:
        # The toggle Prefect's own handler reads (half the cost of `PREFECT_LOGGING_TO_API_ENABLED.value()`).
        if not get_settings_context().settings.logging.to_api.enabled:
            return
        context = TaskRunContext.get() if task_run else None
        # Masked whole, then cut: cutting first could leave half a secret that no longer matches.
        message = run.masker.mask_text(text)
        if len(message) > MAX_LINE:
            message = message[: MAX_LINE - 1] + "…"
        # Exactly the fields of Prefect's `LogCreate` as its server takes them: one key more (even
        # `worker_id: null`) and the server refuses the whole batch, Prefect's own lines with it.
        emit_api_log(
            {
                "name": LOGGER_NAME,
                "level": level,
                "message": message,
                "timestamp": datetime.now(UTC).isoformat(),
                "flow_run_id": str(run.flow_run_id),
                "task_run_id": str(context.task_run.id) if context is not None else None,
            }
        )
    except Exception as exc:  # a log line is never worth a step
        logger.debug("run log line dropped: %s", exc)


def _step(node: Node, step_key: str) -> str:
    label = f'"{node.name}" ' if node.name and node.name != node.id else ""
    return f"Step {step_key} {label}({node.type})"


def execution_started(run: Runtime, *, resumed: bool) -> None:
    execution = run.execution
    what = "resumed" if resumed else "started"
    attempt = f", attempt {execution.attempt}" if execution.attempt > 1 else ""
    _emit(
        run,
        logging.INFO,
        f"Execution {execution.id} {what} (trigger {execution.triggered_by}{attempt})",
    )


def step_started(run: Runtime, node: Node, step_key: str, *, status: str = "running") -> None:
    if status == "running":  # a wait for approval has its own line, once the run is suspended
        _emit(run, logging.INFO, f"{_step(node, step_key)} started", task_run=True)


def step_completed(run: Runtime, node: Node, step_key: str, result: NodeResult) -> None:
    details = []
    handles = [h for h in result.handles if h != DEFAULT_HANDLE]
    if handles:
        details.append("took " + ", ".join(handles))
    if result.tokens:
        details.append(f"{result.tokens} tokens")
    if result.cost_usd:
        details.append(f"${result.cost_usd:.4f}")
    suffix = f": {'; '.join(details)}" if details else ""
    _emit(run, logging.INFO, f"{_step(node, step_key)} completed{suffix}", task_run=True)


def step_failed(run: Runtime, node: Node, step_key: str, message: str, *, will_retry: bool) -> None:
    """`message` is the recorded (masked) error."""
    if will_retry:
        _emit(run, logging.WARNING, f"{_step(node, step_key)} failed, will retry: {message}", task_run=True)
    else:
        _emit(run, logging.ERROR, f"{_step(node, step_key)} failed: {message}", task_run=True)


def waiting(run: Runtime, text: str) -> None:
    _emit(run, logging.INFO, text)


def execution_finished(
    run: Runtime, status: str, *, error: Any = None, failed_node: str | None = None
) -> None:
    if status == "completed":
        _emit(run, logging.INFO, f"Execution {run.execution.id} completed")
        return
    where = f" at step {failed_node}" if failed_node else ""
    why = f": {error}" if error else ""
    _emit(run, logging.ERROR, f"Execution {run.execution.id} {status.replace('_', ' ')}{where}{why}")
