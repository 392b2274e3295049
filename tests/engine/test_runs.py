"""Executions end to end: API → Prefect flow run → in-process worker → steps recorded → API."""

from __future__ import annotations

import asyncio

import pytest

from tests.engine.conftest import Tenant, edge, node
from tests.support.outside import Outside, flaky, json_reply

pytestmark = pytest.mark.xdist_group("engine")


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


async def test_branches_loops_and_skips_are_recorded(tenant: Tenant, outside: Outside) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "route",
                "logic.switch",
                value="{{trigger.output.kind}}",
                cases=[{"name": "many", "equals": "many"}],
            ),
            node("each", "logic.loop", items="{{trigger.output.items}}"),
            node("visit", "action.http", url=outside.url + "/visit", query={"item": "{{loop.item}}"}),
            node("other", "action.http", url=outside.url + "/other"),
            node(
                "done",
                "logic.if",
                conditions=[{"left": "{{each.output.results | length}}", "op": "eq", "right": 2}],
            ),
        ],
        "edges": [
            edge("start", "route"),
            edge("route", "each", "many"),
            edge("route", "other", "default"),
            edge("each", "visit", "body"),
            edge("visit", "each"),
            edge("each", "done", "done"),
        ],
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"], {"kind": "many", "items": ["a", "b"]}))
    assert execution["status"] == "completed", execution
    steps = await tenant.steps(execution["id"])
    assert steps["other"]["status"] == "skipped"
    assert steps["visit[0]"]["status"] == steps["visit[1]"]["status"] == "completed"
    assert steps["each"]["output"]["results"][1]["status"] == 200
    assert steps["done"]["output"] == {"result": True}
    assert [r.query["item"] for r in outside.requests] == ["a", "b"]


@pytest.mark.parametrize("mode", ["standard", "fast"])  # Prefect task retries, or the fast lane's own loop
async def test_transient_failures_are_retried_and_attempts_recorded(
    tenant: Tenant, outside: Outside, mode: str
) -> None:
    outside.routes["/flaky"] = flaky(2, status=503)
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {
                **node("call", "action.http", url=outside.url + "/flaky"),
                "retry": {"max_retries": 3, "backoff_seconds": 0.1},
            },
        ],
        "edges": [edge("start", "call")],
        "settings": {"execution_mode": mode},
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"]))
    assert execution["status"] == "completed", execution
    assert execution["lane"] == mode
    step = (await tenant.steps(execution["id"]))["call"]
    assert step["attempt"] == 3
    assert step["output"]["body"] == {"ok": True, "attempt": 3}
    events = (await tenant.client.get(f"/executions/{execution['id']}/events")).json()
    assert [e["type"] for e in events if e["node_id"] == "call"] == [
        "step.started",
        "step.retrying",
        "step.started",
        "step.retrying",
        "step.started",
        "step.completed",
    ]


async def test_a_client_error_fails_at_once_without_retries(tenant: Tenant, outside: Outside) -> None:
    outside.routes["/bad"] = json_reply({"detail": "no"}, status=400)
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {
                **node("call", "action.http", url=outside.url + "/bad"),
                "retry": {"max_retries": 3, "backoff_seconds": 0.1},
            },
        ],
        "edges": [edge("start", "call")],
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"]))
    assert execution["status"] == "failed"
    assert execution["failed_node"] == "call"
    assert "HTTP 400" in execution["error"]
    assert outside.counters["/bad"] == 1
    assert (await tenant.steps(execution["id"]))["call"]["attempt"] == 1


async def test_execute_is_idempotent(tenant: Tenant) -> None:
    agent = await tenant.agent({"nodes": [node("start", "trigger", kind="api")], "edges": []})
    first = await tenant.run(agent["id"], {"x": 1}, **{"Idempotency-Key": "order-42"})
    second = await tenant.run(agent["id"], {"x": 1}, **{"Idempotency-Key": "order-42"})
    assert first == second
    await tenant.wait(first)
    listed = (await tenant.client.get("/executions", params={"agent_id": agent["id"]})).json()
    assert [e["id"] for e in listed["items"]] == [first]
    summary = next(a for a in (await tenant.client.get("/agents")).json()["items"] if a["id"] == agent["id"])
    assert summary["last_run_at"] is not None
    assert summary["success_rate"] == 1.0


async def test_concurrent_executes_with_one_idempotency_key_make_one_execution(tenant: Tenant) -> None:
    agent = await tenant.agent({"nodes": [node("start", "trigger", kind="api")], "edges": []})
    answers = await asyncio.gather(
        *(
            tenant.client.post(
                f"/agents/{agent['id']}/execute",
                json={"input": {"n": n}},
                headers={"Idempotency-Key": "burst"},
            )
            for n in range(6)
        )
    )
    assert [a.status_code for a in answers] == [202] * 6, [a.text for a in answers]
    [execution_id] = {a.json()["id"] for a in answers}
    await tenant.wait(execution_id)
    listed = (await tenant.client.get("/executions", params={"agent_id": agent["id"]})).json()
    assert [e["id"] for e in listed["items"]] == [execution_id]


async def test_input_not_matching_the_trigger_schema_is_422(tenant: Tenant) -> None:
    schema = {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}}
    agent = await tenant.agent(
        {"nodes": [node("start", "trigger", kind="api", input_schema=schema)], "edges": []}
    )
    response = await tenant.client.post(f"/agents/{agent['id']}/execute", json={"input": {"mail": "x"}})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


async def test_test_runs_preview_side_effects(tenant: Tenant, outside: Outside) -> None:
    definition = {
        "nodes": [
            node("start", "trigger"),
            node("post", "action.http", method="POST", url=outside.url + "/w"),
        ],
        "edges": [edge("start", "post")],
    }
    agent = await tenant.agent(definition, publish=False)
    response = await tenant.client.post(f"/agents/{agent['id']}/test", json={"input": {"a": 1}})
    assert response.status_code == 202, response.text
    execution = await tenant.wait(response.json()["id"])
    assert execution["status"] == "completed", execution
    assert execution["triggered_by"] == "test"
    assert (await tenant.steps(execution["id"]))["post"]["output"]["preview"] is True
    assert outside.requests == []
