"""What an operator sees in Prefect's UI: deployments and runs named after agents and orgs, tags to filter
by, each run's story in its Logs tab, a waiting approval as a Suspended run that says what it waits for."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import DeploymentUpdate
from prefect.client.schemas.objects import FlowRun

from tests.conftest import prefect_auth
from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.support.outside import Outside, json_reply
from tests.support.prefect_logs import engine_lines, flow_run_logs

pytestmark = pytest.mark.xdist_group("engine")


def prefect_client(stack: EngineStack) -> PrefectClient:
    return PrefectClient(api=stack.prefect_url, auth_string=prefect_auth())


async def org_slug(tenant: Tenant) -> str:
    return str((await tenant.client.get("/org")).json()["slug"])


async def finished_run(prefect: PrefectClient, flow_run_id: uuid.UUID) -> FlowRun:
    for _ in range(150):
        run = await prefect.read_flow_run(flow_run_id)
        if run.state is not None and run.state.is_final():
            return run
        await asyncio.sleep(0.2)
    raise AssertionError(f"flow run {flow_run_id} did not finish: {run.state}")


def two_steps(outside: Outside) -> dict[str, Any]:
    return {
        "nodes": [
            node("start", "trigger", kind="api"),
            {**node("fetch", "action.http", url=outside.url + "/ticket"), "name": "Fetch the ticket"},
            node(
                "route",
                "logic.if",
                conditions=[{"left": "{{fetch.output.status}}", "op": "eq", "right": 200}],
            ),
        ],
        "edges": [edge("start", "fetch"), edge("fetch", "route")],
    }


async def test_an_agents_deployment_reads_as_its_name_and_org(
    tenant: Tenant, engine_api: EngineStack
) -> None:
    slug = await org_slug(tenant)
    agent = await tenant.agent(
        {"nodes": [node("start", "trigger", kind="api")], "edges": []}, name="Support *triage* [bot](x)"
    )
    async with prefect_client(engine_api) as prefect:
        # Still found by the agent's id: the name publishing (and scripts) look it up by.
        deployment = await prefect.read_deployment_by_name(f"run-agent/{agent['id']}")
    assert set(deployment.tags) == {
        f"org:{tenant.org_id}",
        f"agent:{agent['id']}",
        f"org:{slug}",
        "name:Support *triage* [bot](x)",  # what the deployment list shows beside the id
    }
    description = deployment.description or ""
    # The tenant's name is text in Prefect's Markdown: no link, no emphasis.
    assert description.startswith(r"**Support \*triage\* \[bot\]\(x\)** · org `" + slug + "` · version 1")
    assert agent["id"] in description and tenant.org_id in description


async def test_runs_are_named_after_their_agent_and_trigger_and_tagged_with_the_org(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    slug = await org_slug(tenant)
    agent = await tenant.agent(two_steps(outside), name="support-triage")
    execution_id = await tenant.run(agent["id"])
    done = await tenant.wait(execution_id)
    test = await tenant.client.post(f"/agents/{agent['id']}/test", json={"input": {}})
    assert test.status_code == 202, test.text
    tested = await tenant.wait(test.json()["id"])
    async with prefect_client(engine_api) as prefect:
        run = await prefect.read_flow_run(uuid.UUID(done["prefect_flow_run_id"]))
        test_run = await prefect.read_flow_run(uuid.UUID(tested["prefect_flow_run_id"]))
    assert run.name == f"support-triage · manual · {execution_id[:8]}"
    assert {f"org:{slug}", f"org:{tenant.org_id}", f"agent:{agent['id']}", "trigger:manual"} <= set(run.tags)
    assert test_run.name == f"support-triage · test · {tested['id'][:8]}"
    assert {f"org:{slug}", "trigger:test"} <= set(test_run.tags)


async def test_a_scheduled_run_gets_the_agents_name_when_it_starts(
    tenant: Tenant, engine_api: EngineStack
) -> None:
    slug = await org_slug(tenant)
    definition = {"nodes": [node("start", "trigger", kind="schedule", cron="0 3 1 1 *")], "edges": []}
    agent = await tenant.agent(definition, name="nightly report")
    async with prefect_client(engine_api) as prefect:
        deployment = await prefect.read_deployment_by_name(f"run-agent/{agent['id']}")
        scheduled = await prefect.create_flow_run_from_deployment(deployment.id)  # as the scheduler does
        run = await finished_run(prefect, scheduled.id)
    [execution] = (await tenant.client.get("/executions", params={"agent_id": agent["id"]})).json()["items"]
    assert execution["triggered_by"] == "schedule" and execution["status"] == "completed"
    assert run.name == f"nightly report · schedule · {execution['id'][:8]}"
    assert {f"org:{slug}", f"org:{tenant.org_id}", "trigger:schedule"} <= set(run.tags)


async def test_the_logs_tab_tells_the_runs_story(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    agent = await tenant.agent(two_steps(outside))
    execution_id = await tenant.run(agent["id"])
    done = await tenant.wait(execution_id)
    assert done["status"] == "completed", done
    async with prefect_client(engine_api) as prefect:
        logs = await flow_run_logs(
            prefect, done["prefect_flow_run_id"], until=f"Execution {execution_id} completed"
        )
    ours = [text for _, text in engine_lines(logs)]
    assert ours == [
        f"Execution {execution_id} started (trigger manual)",
        "Step start (trigger) started",
        "Step start (trigger) completed",
        'Step fetch "Fetch the ticket" (action.http) started',
        'Step fetch "Fetch the ticket" (action.http) completed',
        "Step route (logic.if) started",
        "Step route (logic.if) completed: took true",
        f"Execution {execution_id} completed",
    ]
    # Several lines to a record (Prefect's server pays per record, not per line), each with its time.
    records = [log for log in logs if log.name == "agentflow.engine"]
    assert len(records) < len(ours)
    times = [line.split(" ", 1)[0] for log in records for line in log.message.split("\n")]
    assert all(len(time) == len("12:00:00.000") and time[2] == time[5] == ":" for time in times)
    # Prefect's INFO lines say the same and cost as much: only its warnings and errors are sent.
    assert [log.message for log in logs if log.name.startswith("prefect")] == []


async def test_a_failing_step_logs_its_retries_and_its_error(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {
                **node("call", "action.http", url=outside.url + "/down"),
                "retry": {"max_retries": 1, "backoff_seconds": 0.1},
            },
        ],
        "edges": [edge("start", "call")],
    }
    outside.routes["/down"] = json_reply({"error": "busy"}, status=503)
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"])
    done = await tenant.wait(execution_id)
    assert done["status"] == "failed", done
    async with prefect_client(engine_api) as prefect:
        logs = await flow_run_logs(
            prefect, done["prefect_flow_run_id"], until=f"Execution {execution_id} failed"
        )
    ours = engine_lines(logs)
    call = [(level, message) for level, message in ours if message.startswith("Step call")]
    assert [message.split(":")[0] for _, message in call] == [
        "Step call (action.http) started",
        "Step call (action.http) failed, will retry",
        "Step call (action.http) started",
        "Step call (action.http) failed",
    ]
    assert [level for level, _ in call] == ["INFO", "WARNING", "INFO", "ERROR"]
    assert "503" in call[-1][1]
    assert ours[-1] == ("ERROR", f"Execution {execution_id} failed at step call: {done['error']}")
    # Prefect's own error lines (the task's failure, with its traceback) are there too.
    assert any(log.name == "prefect.task_runs" and log.level == 40 for log in logs)


async def test_a_waiting_approval_is_a_suspended_run_that_says_what_it_waits_for(
    tenant: Tenant, engine_api: EngineStack
) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("ask", "human.approval", message="Refund {{trigger.output.amount}} EUR?"),
        ],
        "edges": [edge("start", "ask")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"], {"amount": 120})
    paused = await tenant.wait(execution_id, "paused")
    expected = "Waiting for approval at step ask: “Refund 120 EUR?”. Approve or reject in AgentFlow"
    async with prefect_client(engine_api) as prefect:
        run = await prefect.read_flow_run(uuid.UUID(paused["prefect_flow_run_id"]))
        assert run.state is not None and run.state.is_paused()
        assert (run.state.name, run.state.message) == ("Suspended", expected)
        logs = await flow_run_logs(prefect, run.id, until="Suspended: ")
        assert ("INFO", f"Suspended: {expected}") in engine_lines(logs)
    decided = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
    assert decided.status_code == 200, decided.text
    assert (await tenant.wait(execution_id))["status"] == "completed"


async def test_an_agent_deployed_by_an_earlier_release_runs_and_is_updated_on_publish(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    """Deployments made before descriptions and slug tags existed: same name, old description and tags."""
    slug = await org_slug(tenant)
    agent = await tenant.agent(two_steps(outside), name="legacy")
    async with prefect_client(engine_api) as prefect:
        deployment_id = (await prefect.read_deployment_by_name(f"run-agent/{agent['id']}")).id
        await prefect.update_deployment(
            deployment_id,
            DeploymentUpdate(
                description=f"AgentFlow agent {agent['id']}, version 1",
                tags=[f"org:{tenant.org_id}", f"agent:{agent['id']}"],
            ),
        )
        execution_id = await tenant.run(agent["id"])
        done = await tenant.wait(execution_id)
        assert done["status"] == "completed", done
        run = await prefect.read_flow_run(uuid.UUID(done["prefect_flow_run_id"]))
        assert run.deployment_id == deployment_id and run.name == f"legacy · manual · {execution_id[:8]}"
        draft = {**two_steps(outside), "settings": {"max_parallel_nodes": 2}}
        edited = await tenant.client.put(
            f"/agents/{agent['id']}", json={"definition": draft, "revision": agent["draft_revision"]}
        )
        assert edited.status_code == 200, edited.text
        published = await tenant.client.post(f"/agents/{agent['id']}/publish", json={"message": "v2"})
        assert published.status_code == 201, published.text
        # The same deployment, updated in place (and so the runs still queued or paused on it).
        deployment = await prefect.read_deployment_by_name(f"run-agent/{agent['id']}")
    assert deployment.id == deployment_id
    assert {f"org:{slug}", "name:legacy"} <= set(deployment.tags)
    assert (deployment.description or "").startswith(f"**legacy** · org `{slug}` · version 2")
