"""Executions whose Prefect flow run ended or vanished on Prefect's side, with no process of ours holding it
(an operator in Prefect's UI, Prefect's zombie automation): every worker's sweeper ends them to match."""

from __future__ import annotations

import uuid

import pytest
from prefect.states import Cancelled, Crashed

from tests.engine.conftest import Tenant, edge, node
from tests.engine.reliability.conftest import ReliabilityStack
from tests.support.outside import Outside

pytestmark = pytest.mark.xdist_group("engine")

# Reconciled within a settle time and a pass (reconcile.py), with room for a loaded machine.
WITHIN = 10 + 10 + 40


def approval_agent(outside: Outside) -> dict[str, object]:
    return {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("ask", "human.approval", message="Go?"),
            node("yes", "action.http", url=outside.url + "/yes"),
        ],
        "edges": [edge("start", "ask"), edge("ask", "yes", "approved")],
    }


async def test_paused_executions_follow_their_flow_run_cancelled_crashed_or_deleted_in_prefect(
    tenant: Tenant, outside: Outside, stack: ReliabilityStack
) -> None:
    agent = await tenant.agent(approval_agent(outside))
    ids = [await tenant.run(agent["id"]) for _ in range(3)]
    paused = [await tenant.wait(execution_id, "paused") for execution_id in ids]
    runs = [uuid.UUID(p["prefect_flow_run_id"]) for p in paused]
    async with stack.prefect_client() as prefect:
        await prefect.set_flow_run_state(runs[0], Cancelled(message="Cancelled by an operator"), force=True)
        await prefect.set_flow_run_state(runs[1], Crashed(message="Found a zombie"), force=True)
        await prefect.delete_flow_run(runs[2])
    cancelled, crashed, deleted = [await tenant.wait(i, within=WITHIN) for i in ids]
    assert cancelled["status"] == "cancelled" and "Cancelled by an operator" in cancelled["error"], cancelled
    assert crashed["status"] == "failed" and "Crashed: Found a zombie" in crashed["error"], crashed
    assert deleted["status"] == "failed" and "no longer exists" in deleted["error"], deleted
    for execution_id, step_status in zip(ids, ["cancelled", "failed", "failed"], strict=True):
        assert (await tenant.steps(execution_id))["ask"]["status"] == step_status
        late = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
        assert late.status_code == 409
    # A retry needs its flow run: refused clearly when Prefect no longer has it.
    retried = await tenant.client.post(f"/executions/{ids[2]}/retry", json={"from_failed": True})
    assert retried.status_code == 409 and retried.json()["error"]["code"] == "not_retryable", retried.text
    assert outside.requests == []
