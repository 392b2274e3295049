"""The story of a run in its Prefect Logs tab: the execution's start and end, each step's start, end or error,
the wait for an approval. One line each, masked with the run's secrets before it leaves the worker.

Cost decides the shape. Prefect's server spends ~1.7 ms of CPU on every log record it stores (measured here;
the embedded server is what bounds throughput), so a record per line would add ~3.4 ms of server time per
node. A run's lines are gathered into one record per window instead: a record holds every line of the last
`WINDOW` seconds (each with its time), the same delay Prefect's own log batching has, and goes out at once
when the run ends or suspends. A record is sent to Prefect's API log worker as the record its run logger
makes, without a `logging.LogRecord` (that path cost ~85 µs a line here). `PREFECT_LOGGING_TO_API_ENABLED`
turns the lines off with Prefect's own. A line that cannot be sent is dropped, never a step's failure.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prefect.context import get_settings_context
from prefect.logging.handlers import emit_api_log

from agentflow.graph.definition import DEFAULT_HANDLE

if TYPE_CHECKING:
    from agentflow.engine.worker.runtime import Runtime
    from agentflow.graph import Node
    from agentflow.nodes.context import NodeResult

LOGGER_NAME = "agentflow.engine"
WINDOW = 2.0
# Prefect refuses a log over 1 MB; a step's story needs far less, and an error body can be long.
MAX_LINE = 2000
MAX_RECORD = 20_000
logger = logging.getLogger("agentflow.engine.run_log")


@dataclass
class _Pending:
    """A flow run's lines not sent yet (one record)."""

    lines: list[str] = field(default_factory=list)
    size: int = 0
    level: int = logging.INFO
    started: datetime | None = None
    timer: asyncio.TimerHandle | None = None


_pending: dict[uuid.UUID, _Pending] = {}


def _emit(run: Runtime, level: int, text: str, *, flush: bool = False) -> None:
    flow_run_id = run.flow_run_id
    # Not a Prefect flow run of its own: the engine driven directly, or a fast-lane execution (its flow run
    # is the lane's, shared by many executions; AgentFlow's own logs and steps tell its story).
    if flow_run_id is None or run.fast:
        return
    try:
        # The toggle Prefect's own handler reads (half the cost of `PREFECT_LOGGING_TO_API_ENABLED.value()`).
        if not get_settings_context().settings.logging.to_api.enabled:
            return
        # Masked whole, then cut: cutting first could leave half a secret that no longer matches.
        message = run.masker.mask_text(text)
        if len(message) > MAX_LINE:
            message = message[: MAX_LINE - 1] + "…"
        now = datetime.now(UTC)
        marker = "" if level <= logging.INFO else f"{logging.getLevelName(level)} "
        pending = _pending.get(flow_run_id)
        if pending is None:
            pending = _pending[flow_run_id] = _Pending(started=now)
            try:
                pending.timer = asyncio.get_running_loop().call_later(WINDOW, _send, flow_run_id)
            except RuntimeError:  # no event loop: nothing would send it later
                flush = True
        pending.lines.append(f"{now:%H:%M:%S.%f}"[:-3] + f" {marker}{message}")
        pending.size += len(pending.lines[-1]) + 1
        pending.level = max(pending.level, level)
        if flush or pending.size > MAX_RECORD:
            _send(flow_run_id)
    except Exception as exc:  # a log line is never worth a step
        logger.debug("run log line dropped: %s", exc)


def _send(flow_run_id: uuid.UUID) -> None:
    pending = _pending.pop(flow_run_id, None)
    if pending is None or not pending.lines:
        return
    if pending.timer is not None:
        pending.timer.cancel()
    try:
        # Exactly the fields of Prefect's `LogCreate` as its server takes them: one key more (even
        # `worker_id: null`) and the server refuses the whole batch, Prefect's own lines with it.
        emit_api_log(
            {
                "name": LOGGER_NAME,
                "level": pending.level,
                "message": "\n".join(pending.lines),
                "timestamp": (pending.started or datetime.now(UTC)).isoformat(),
                "flow_run_id": str(flow_run_id),
                "task_run_id": None,
            }
        )
    except Exception as exc:
        logger.debug("run log lines dropped: %s", exc)


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
        _emit(run, logging.INFO, f"{_step(node, step_key)} started")


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
    _emit(run, logging.INFO, f"{_step(node, step_key)} completed{suffix}")


def step_failed(run: Runtime, node: Node, step_key: str, message: str, *, will_retry: bool) -> None:
    """`message` is the recorded (masked) error."""
    if will_retry:
        _emit(run, logging.WARNING, f"{_step(node, step_key)} failed, will retry: {message}")
    else:
        _emit(run, logging.ERROR, f"{_step(node, step_key)} failed: {message}")


def waiting(run: Runtime, text: str) -> None:
    """The run suspends: its lines go now."""
    _emit(run, logging.INFO, text, flush=True)


def execution_finished(
    run: Runtime, status: str, *, error: Any = None, failed_node: str | None = None
) -> None:
    if status == "completed":
        _emit(run, logging.INFO, f"Execution {run.execution.id} completed", flush=True)
        return
    where = f" at step {failed_node}" if failed_node else ""
    why = f": {error}" if error else ""
    _emit(
        run, logging.ERROR, f"Execution {run.execution.id} {status.replace('_', ' ')}{where}{why}", flush=True
    )
