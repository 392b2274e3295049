"""Suspending a flow run for an approval, with a state message an operator reads in Prefect's UI.

Prefect's `asuspend_flow_run` proposes a `Suspended` state without a message, so the UI shows a bare
"Suspended". This is its no-input path (AgentFlow reads decisions from its own database, never a run input)
with the message added: the approval step, its masked question, and where to decide it. Prefect internals,
re-check on upgrades (tests/engine/test_control.py and test_isolation.py exercise them): `propose_state` and
`mark_flow_run_suspension_requested`, which make the engine end the run with `Pause` as Prefect's own does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect._flow_run_suspension import mark_flow_run_suspension_requested  # Prefect internal
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.exceptions import Abort, Pause
from prefect.states import Suspended
from prefect.utilities.engine import propose_state

from agentflow.engine.worker import run_log

if TYPE_CHECKING:
    from agentflow.engine.worker.runtime import Runtime

# What fits in the state badge's tooltip and the run page's header without scrolling.
_QUESTION_LIMIT = 200


def approval_message(waiting: dict[str, Any]) -> str:
    """`waiting` is the execution's recorded wait (approvers read the same form: secrets as placeholders)."""
    step = waiting.get("step_key") or waiting.get("node_id")
    question = " ".join(str(waiting.get("message") or "").split())
    if len(question) > _QUESTION_LIMIT:
        question = question[: _QUESTION_LIMIT - 1] + "…"
    asked = f": “{question}”" if question else ""
    if int(waiting.get("round", 0)) > 0:
        return (
            f"Still waiting for approval at step {step}{asked}. A resume from Prefect decides nothing: "
            "approve or reject in AgentFlow"
        )
    return f"Waiting for approval at step {step}{asked}. Approve or reject in AgentFlow"


async def suspend_for_approval(
    run: Runtime, waiting: dict[str, Any], *, key: str, timeout_seconds: int
) -> None:
    """Suspend the current flow run under `key` (raises Pause), or return if a suspension under that key
    was already resumed, as `asuspend_flow_run(key=key, timeout=timeout_seconds)` does."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("Flow runs can only be suspended from within a flow run.")
    flow_run_id = context.flow_run.id
    message = run.masker.mask_text(approval_message(waiting))
    proposed: State[Any] = Suspended(timeout_seconds=timeout_seconds, pause_key=key, message=message)
    async with get_client() as client:
        try:
            state = await propose_state(client=client, state=proposed, flow_run_id=flow_run_id)
        except Abort as exc:
            raise RuntimeError(f"Flow run cannot be suspended: {exc}") from exc
    if state.is_running():  # the orchestrator refused: this key was suspended before and resumed since
        return
    if not state.is_paused():
        raise RuntimeError(f"Flow run cannot be suspended. Received unexpected state from API: {state}")
    run_log.waiting(run, f"Suspended: {message}")
    mark_flow_run_suspension_requested(flow_run_id, state)
    raise Pause(state=state)
