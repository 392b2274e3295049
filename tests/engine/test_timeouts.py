"""Every limit ends a run with a final state: the execution timeout, a node's timeout (with and without an
error handle, on a loop) and a loop's max_iterations."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.engine.conftest import Tenant, edge, node
from tests.support.outside import Outside

pytestmark = pytest.mark.xdist_group("engine")


async def slow(request: Request, body: Any) -> Response:
    await asyncio.sleep(20)
    return JSONResponse({"late": True})


async def events_of(tenant: Tenant, execution_id: str, node_id: str) -> list[dict[str, Any]]:
    events = (await tenant.client.get(f"/executions/{execution_id}/events")).json()
    return [e for e in events if e["node_id"] == node_id]


async def test_the_execution_timeout_ends_it_timed_out_with_the_running_step(
    tenant: Tenant, outside: Outside
) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("first", "action.http", url=outside.url + "/first"),
            node("wait", "logic.delay", seconds=60),
            node("after", "action.http", url=outside.url + "/after"),
        ],
        "edges": [edge("start", "first"), edge("first", "wait"), edge("wait", "after")],
        "settings": {"timeout_seconds": 2},
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"]), within=60)
    assert execution["status"] == "timed_out", execution
    assert "timeout of 2s" in execution["error"]
    steps = await tenant.steps(execution["id"])
    assert steps["first"]["status"] == "completed"
    # The delay had started (it has a start) and was cut short by the timeout, not left running.
    assert steps["wait"]["started_at"] is not None and steps["wait"]["finished_at"] is not None
    assert (steps["wait"]["status"], steps["wait"]["error_kind"]) == ("timed_out", "timed_out"), steps["wait"]
    assert "after" not in steps and outside.counters.get("/after") is None
    ended = [e for e in (await tenant.client.get(f"/executions/{execution['id']}/events")).json()]
    assert ended[-1]["type"] == "execution.failed" and ended[-1]["data"]["status"] == "timed_out"


async def test_a_node_timeout_times_out_the_step_and_fails_the_execution(
    tenant: Tenant, outside: Outside
) -> None:
    outside.routes["/slow"] = slow
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {
                **node("call", "action.http", url=outside.url + "/slow"),
                "timeout_seconds": 0.5,
                "retry": {"max_retries": 2, "backoff_seconds": 0.1},
            },
            node("after", "action.http", url=outside.url + "/after"),
        ],
        "edges": [edge("start", "call"), edge("call", "after")],
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"]), within=60)
    assert execution["status"] == "failed", execution
    assert execution["failed_node"] == "call"
    assert "timeout of 0.5s" in execution["error"]
    step = (await tenant.steps(execution["id"]))["call"]
    assert (step["status"], step["error_kind"], step["attempt"]) == ("timed_out", "timed_out", 1), step
    # The node's time ran out: its retry policy (for transient failures) gives it no second attempt.
    assert outside.counters["/slow"] == 1 and "/after" not in outside.counters
    assert [e["type"] for e in await events_of(tenant, execution["id"], "call")] == [
        "step.started",
        "step.failed",
    ]


async def test_an_error_handle_catches_a_node_timeout(tenant: Tenant, outside: Outside) -> None:
    outside.routes["/slow"] = slow
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {**node("call", "action.http", url=outside.url + "/slow"), "timeout_seconds": 0.5},
            node("handled", "action.http", url=outside.url + "/handled"),
            node("after", "action.http", url=outside.url + "/after"),
        ],
        "edges": [edge("start", "call"), edge("call", "handled", "error"), edge("call", "after")],
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"]), within=60)
    assert execution["status"] == "completed", execution
    steps = await tenant.steps(execution["id"])
    assert steps["call"]["status"] == "timed_out"
    assert steps["handled"]["status"] == "completed" and steps["after"]["status"] == "skipped"
    assert outside.counters == {"/slow": 1, "/handled": 1}


async def test_a_loop_timeout_ends_the_loop_and_its_running_body_step(
    tenant: Tenant, outside: Outside
) -> None:
    outside.routes["/visit"] = slow
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {**node("each", "logic.loop", items=["a", "b"]), "timeout_seconds": 1},
            node("visit", "action.http", url=outside.url + "/visit", query={"item": "{{loop.item}}"}),
        ],
        "edges": [edge("start", "each"), edge("each", "visit", "body"), edge("visit", "each")],
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"]), within=60)
    assert execution["status"] == "failed" and execution["failed_node"] == "each", execution
    steps = await tenant.steps(execution["id"])
    assert steps["each"]["status"] == "timed_out"
    # The body step under way was stopped with the loop and ended with the execution, not left running.
    assert steps["visit[0]"]["status"] == "failed" and steps["visit[0]"]["finished_at"] is not None
    assert "visit[1]" not in steps and outside.counters["/visit"] == 1


async def test_a_loop_longer_than_max_iterations_fails_before_its_body_runs(
    tenant: Tenant, outside: Outside
) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("each", "logic.loop", items="{{trigger.output.items}}", max_iterations=2),
            node("visit", "action.http", url=outside.url + "/visit"),
        ],
        "edges": [edge("start", "each"), edge("each", "visit", "body"), edge("visit", "each")],
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"], {"items": [1, 2, 3]}))
    assert execution["status"] == "failed" and execution["failed_node"] == "each", execution
    assert "more than max_iterations=2" in execution["error"]
    assert outside.requests == []
    fits = await tenant.wait(await tenant.run(agent["id"], {"items": [1, 2]}))
    assert fits["status"] == "completed", fits
    assert outside.counters["/visit"] == 2
