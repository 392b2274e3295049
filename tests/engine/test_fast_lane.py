"""The fast lane: agents in the `fast` execution mode run as task runs inside each worker's long-lived flow
run, with everything users rely on kept: records, events, retries per node, cancel, retry from the failed
node, and every trigger honouring the mode."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

from tests.conftest import prefect_auth
from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.support.outside import Outside, json_reply

pytestmark = pytest.mark.xdist_group("engine")

FAST = {"execution_mode": "fast"}


def fast_agent(*nodes: dict[str, Any], trigger: str = "api", **settings: Any) -> dict[str, Any]:
    chain = [node("start", "trigger", kind=trigger), *nodes]
    return {
        "nodes": chain,
        "edges": [edge(a["id"], b["id"]) for a, b in itertools.pairwise(chain)],
        "settings": {**FAST, **settings},
    }


async def test_fast_executions_share_the_lanes_flow_run_and_record_every_step(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    outside.routes["/echo"] = json_reply({"ok": True})
    agent = await tenant.agent(
        fast_agent(
            node(
                "call",
                "action.http",
                method="POST",
                url=outside.url + "/echo",
                json={"n": "{{trigger.output.n}}"},
            )
        )
    )
    ids = await asyncio.gather(*(tenant.run(agent["id"], {"n": n}) for n in range(12)))
    done = [await tenant.wait(i) for i in ids]
    assert [d["status"] for d in done] == ["completed"] * 12, done
    assert {d["lane"] for d in done} == {"fast"}
    runs = {d["prefect_flow_run_id"] for d in done}
    assert None not in runs and len(runs) == 1  # one worker: one lane flow run for all of them
    steps = await tenant.steps(ids[3])
    assert [steps[k]["status"] for k in ("start", "call")] == ["completed", "completed"]
    assert steps["call"]["input"]["json"] == {"n": 3}
    events = [e["type"] for e in (await tenant.client.get(f"/executions/{ids[3]}/events")).json()]
    assert events[0] == "execution.started" and events[-1] == "execution.completed"
    assert events.count("step.completed") == 2
    assert sorted(r.body for r in outside.requests) == sorted(f'{{"n":{n}}}'.encode() for n in range(12))
    # In Prefect: the lane's flow run of `fast-lane/workers`, one task run per execution, named for it.
    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        lane_run = await prefect.read_flow_run(uuid.UUID(runs.pop()))
        deployment = await prefect.read_deployment(lane_run.deployment_id)
        assert deployment.name.startswith("workers") and lane_run.name.startswith("fast lane · ")
        # Prefect's task-run recorder stores task runs in batches (up to a second late, later under load).
        for _ in range(120):
            task_runs = await prefect.read_task_runs(
                task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[lane_run.id])),
                limit=200,
            )
            names = {t.name for t in task_runs}
            if all(any(n.endswith(" · manual · " + i[:8]) for n in names) for i in ids):
                break
            await asyncio.sleep(0.5)
    assert all(any(n.endswith(" · manual · " + i[:8]) for n in names) for i in ids), names


async def test_webhook_and_scheduled_runs_honour_the_fast_mode(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    hook = await tenant.agent(
        fast_agent(node("tick", "action.http", url=outside.url + "/hook"), trigger="webhook")
    )
    token = hook["webhook_url"].rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=engine_api.api_url, timeout=30) as client:
        accepted = await client.post(f"/hooks/{token}", json={"a": 1})
    assert accepted.status_code == 202, accepted.text
    execution = await tenant.wait(accepted.json()["execution_id"])
    assert (execution["status"], execution["lane"]) == ("completed", "fast"), execution

    scheduled = fast_agent(node("tick", "action.http", url=outside.url + "/cron"), trigger="schedule")
    scheduled["nodes"][0]["config"]["cron"] = "0 3 1 1 *"
    agent = await tenant.agent(scheduled)
    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        deployment = await prefect.read_deployment_by_name(f"run-agent/{agent['id']}")
        await prefect.create_flow_run_from_deployment(deployment.id)  # what the schedule creates
    for _ in range(300):
        listed = (await tenant.client.get("/executions", params={"agent_id": agent["id"]})).json()["items"]
        if listed and listed[0]["status"] == "completed":
            break
        await asyncio.sleep(0.2)
    assert [(e["status"], e["lane"], e["triggered_by"]) for e in listed] == [
        ("completed", "fast", "schedule")
    ]
    assert outside.counters["/cron"] == 1


async def test_cancel_stops_a_fast_execution_before_its_next_node(tenant: Tenant, outside: Outside) -> None:
    agent = await tenant.agent(
        fast_agent(
            node("wait", "logic.delay", seconds=3), node("after", "action.http", url=outside.url + "/after")
        )
    )
    execution_id = await tenant.run(agent["id"])
    await tenant.wait(execution_id, "running")
    cancelled = await tenant.client.post(f"/executions/{execution_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    await asyncio.sleep(4.5)  # the delay ends; the lane checks before the next node and stops
    execution = (await tenant.client.get(f"/executions/{execution_id}")).json()
    assert execution["status"] == "cancelled"
    assert "after" not in await tenant.steps(execution_id)
    assert outside.counters.get("/after", 0) == 0
    again = await tenant.client.post(f"/executions/{execution_id}/cancel")
    assert again.status_code == 409


async def test_retry_from_the_failed_node_reuses_completed_steps(tenant: Tenant, outside: Outside) -> None:
    outside.routes["/first"] = json_reply({"n": 1})
    outside.routes["/second"] = json_reply({"detail": "no"}, status=400)
    agent = await tenant.agent(
        fast_agent(
            node("first", "action.http", url=outside.url + "/first"),
            node("second", "action.http", url=outside.url + "/second"),
        )
    )
    execution = await tenant.wait(await tenant.run(agent["id"]))
    assert (execution["status"], execution["failed_node"]) == ("failed", "second"), execution
    outside.routes["/second"] = json_reply({"ok": True})
    retried = await tenant.client.post(f"/executions/{execution['id']}/retry", json={"from_failed": True})
    assert retried.status_code == 202, retried.text
    done = await tenant.wait(execution["id"], "completed", "failed")
    assert (done["status"], done["attempt"]) == ("completed", 2), done
    assert outside.counters["/first"] == 1 and outside.counters["/second"] == 2  # first reused, not re-run


async def test_publishing_a_fast_agent_that_would_pause_names_the_node(tenant: Tenant) -> None:
    definition = fast_agent(node("ok", "human.approval", message="Go?"))
    agent = await tenant.agent(definition, publish=False)
    refused = await tenant.client.post(f"/agents/{agent['id']}/publish", json={"message": "v1"})
    assert refused.status_code == 422, refused.text
    body = refused.text
    assert "node 'ok'" in body and "fast execution mode" in body
    slow = await tenant.agent(fast_agent(node("nap", "logic.delay", seconds=120)), publish=False)
    refused = await tenant.client.post(f"/agents/{slow['id']}/publish", json={"message": "v1"})
    assert refused.status_code == 422 and "node 'nap' config.seconds" in refused.text
