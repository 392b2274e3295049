"""A worker killed mid-step while another keeps running: its execution is failed by the live worker within
the sweeper's bound (no restart under the same name), the live worker's own run is left alone, a retry
reuses the steps already paid for, and a cancellation of the dead worker's run still ends it cancelled."""

from __future__ import annotations

import uuid

import pytest
from prefect.client.schemas.objects import StateType

from tests.engine.conftest import Tenant, edge, node
from tests.engine.reliability.conftest import Gate, ReliabilityStack, holder_of, kill
from tests.support.outside import Outside

pytestmark = pytest.mark.xdist_group("engine")


def held_agent(outside: Outside, hold: str) -> dict[str, object]:
    return {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("paid", "action.http", method="POST", url=outside.url + "/paid"),
            node("hold", "action.http", url=outside.url + hold),
            node("last", "action.http", url=outside.url + "/last"),
        ],
        "edges": [edge("start", "paid"), edge("paid", "hold"), edge("hold", "last")],
    }


async def test_a_killed_worker_is_failed_by_its_peer_and_retry_reuses_the_paid_steps(
    tenant: Tenant, outside: Outside, stack: ReliabilityStack
) -> None:
    gate, other_gate = Gate(), Gate()
    outside.routes["/hold"], outside.routes["/hold-other"] = gate.handler, other_gate.handler
    agent = await tenant.agent(held_agent(outside, "/hold"))
    other_agent = await tenant.agent(held_agent(outside, "/hold-other"), name="other")
    try:
        execution_id = await tenant.run(agent["id"])
        await gate.wait_arrived()
        running = await tenant.wait(execution_id, "running")
        steps = await tenant.steps(execution_id)
        assert steps["paid"]["status"] == "completed" and steps["hold"]["status"] == "running", steps
        victim = await holder_of(stack, running)
        kill(stack, victim)

        # Started after the kill, so the live worker holds it; it is mid-step all through the reaping.
        other_id = await tenant.run(other_agent["id"])
        await other_gate.wait_arrived()
        other = await tenant.wait(other_id, "running")
        assert await holder_of(stack, other) != victim

        failed = await tenant.wait(execution_id, "failed", "completed", within=stack.dead_worker_bound + 30)
        assert failed["status"] == "failed" and "stopped unexpectedly" in failed["error"], failed
        steps = await tenant.steps(execution_id)
        assert steps["paid"]["status"] == "completed"
        assert steps["hold"]["status"] == "failed" and steps["hold"]["finished_at"] is not None
        async with stack.prefect_client() as prefect:
            flow_run = await prefect.read_flow_run(uuid.UUID(failed["prefect_flow_run_id"]))
        assert flow_run.state_type == StateType.CRASHED

        # The live worker's run was not touched: still mid-step, then it completes normally.
        assert (await tenant.client.get(f"/executions/{other_id}")).json()["status"] == "running"
        assert (await tenant.steps(other_id))["hold"]["status"] == "running"
        other_gate.release.set()
        assert (await tenant.wait(other_id))["status"] == "completed"

        gate.release.set()
        retried = await tenant.client.post(f"/executions/{execution_id}/retry", json={"from_failed": True})
        assert retried.status_code == 202, retried.text
        done = await tenant.wait(execution_id, "completed", "failed", within=90)
        assert done["status"] == "completed", done
        assert done["attempt"] == 2
        # Paid once (reused), the interrupted step ran again, the rest once.
        assert outside.counters["/paid"] == 2  # one per execution: this one's and the other's
        assert [r.path for r in outside.requests].count("/hold") == 2
        assert outside.counters["/last"] == 2
        assert (await tenant.steps(execution_id))["paid"]["attempt"] == 1
    finally:
        gate.release.set()
        other_gate.release.set()


async def test_cancelling_an_execution_whose_worker_is_gone_ends_it_cancelled(
    tenant: Tenant, outside: Outside, stack: ReliabilityStack
) -> None:
    gate = Gate()
    outside.routes["/hold"] = gate.handler
    agent = await tenant.agent(held_agent(outside, "/hold"))
    try:
        execution_id = await tenant.run(agent["id"])
        await gate.wait_arrived()
        running = await tenant.wait(execution_id, "running")
        kill(stack, await holder_of(stack, running))
        response = await tenant.client.post(f"/executions/{execution_id}/cancel")
        assert response.status_code == 200, response.text
        cancelled = await tenant.wait(
            execution_id, "cancelled", "failed", within=stack.dead_worker_bound + 30
        )
        assert cancelled["status"] == "cancelled", cancelled
        assert (await tenant.steps(execution_id))["hold"]["status"] == "cancelled"
        async with stack.prefect_client() as prefect:
            flow_run = await prefect.read_flow_run(uuid.UUID(cancelled["prefect_flow_run_id"]))
        assert flow_run.state_type == StateType.CANCELLED
        assert "/last" not in outside.counters
    finally:
        gate.release.set()
