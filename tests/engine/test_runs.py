"""Executions end to end: API → Prefect flow run → in-process worker → steps recorded → API."""

from __future__ import annotations

import pytest

from tests.engine.conftest import Tenant, edge, node
from tests.support.outside import Outside, outside_server

pytestmark = pytest.mark.xdist_group("engine")


@pytest.fixture
def outside():  # type: ignore[no-untyped-def]
    with outside_server() as server:
        yield server


async def test_linear_agent_runs_and_records_every_step(tenant: Tenant, outside: Outside) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "call",
                "action.http",
                method="POST",
                url=outside.url + "/echo",
                json={"n": "{{trigger.output.n}}"},
            ),
            node(
                "check", "logic.if", conditions=[{"left": "{{call.output.status}}", "op": "eq", "right": 200}]
            ),
        ],
        "edges": [edge("start", "call"), edge("call", "check")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"], {"n": 7})
    execution = await tenant.wait(execution_id)
    assert execution["status"] == "completed", execution
    assert execution["prefect_flow_run_id"] is not None
    assert execution["output"] == {"check": {"result": True}}
    steps = await tenant.steps(execution_id)
    assert [steps[k]["status"] for k in ("start", "call", "check")] == ["completed"] * 3
    assert steps["call"]["input"]["json"] == {"n": 7}
    assert steps["call"]["output"]["status"] == 200
    assert outside.requests[0].body == b'{"n":7}'
