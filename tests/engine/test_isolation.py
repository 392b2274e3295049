"""Tenant attacks against the real engine: secrets transformed by templates, calls at the stack's own
services, flow runs with forged parameters, approvals resumed from Prefect's side."""

from __future__ import annotations

import asyncio
import os
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from sqlalchemy.engine import make_url
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.conftest import prefect_auth, vault_info
from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.support.outside import Outside
from tests.support.prefect_logs import engine_lines, flow_run_logs

pytestmark = pytest.mark.xdist_group("engine")


async def echo(request: Request, body: Any) -> Response:
    """Sends back everything it was sent, as a careless (or hostile) API would."""
    return JSONResponse({"query": dict(request.query_params), "headers": dict(request.headers), "body": body})


def forms(secret: str) -> dict[str, str]:
    """The secret and what templates can make of it."""
    return {
        "value": secret,
        "upper": secret.upper(),
        "reversed": secret[::-1],
        "sliced": secret[3:],
        "replaced": secret.replace("k", "K"),
        "joined": "-".join(secret),
        "url-encoded upper": urllib.parse.quote(secret.upper()),
    }


async def database_dump(engine_stack: EngineStack, execution_id: str) -> str:
    """Every row the execution left in AgentFlow's database, as text."""
    url = make_url(engine_stack.database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        parts = []
        for table in ("executions", "execution_steps", "execution_events", "execution_logs"):
            column = "id" if table == "executions" else "execution_id"
            rows = await connection.fetch(
                f"SELECT * FROM {table} WHERE {column} = $1",  # noqa: S608 - fixed table names
                uuid.UUID(execution_id),
            )
            parts.extend(str(dict(row)) for row in rows)
        return "\n".join(parts)
    finally:
        await connection.close()


def files_text(*roots: Path) -> bytes:
    return b"".join(p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file())


async def settled_prefect_records(prefect: PrefectClient, flow_run_id: uuid.UUID, task_runs: int) -> str:
    """The flow run and its task runs as Prefect's API shows them, once the flow run and at least
    `task_runs` task runs are in final states: Prefect's server writes task runs in batches, so looking
    earlier could find nothing to leak from and prove nothing."""
    of_flow_run = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    seen = ""
    for _ in range(300):
        flow_run = await prefect.read_flow_run(flow_run_id)
        tasks = await prefect.read_task_runs(flow_run_filter=of_flow_run)
        seen = f"flow run {flow_run.state_type}, task runs {[t.state_type for t in tasks]}"
        settled = flow_run.state is not None and flow_run.state.is_final()
        if settled and len(tasks) >= task_runs and all(t.state and t.state.is_final() for t in tasks):
            return str(flow_run.model_dump()) + "".join(str(t.model_dump()) for t in tasks)
        await asyncio.sleep(0.1)
    raise AssertionError(f"Prefect never recorded the finished run: {seen}")


async def test_a_secret_transformed_by_templates_appears_in_no_record(
    tenant: Tenant, outside: Outside, engine_stack: EngineStack
) -> None:
    secret = f"sk-live-{uuid.uuid4().hex[:16]}-kq"
    created = await tenant.client.post("/org/secrets", json={"name": "API_TOKEN", "value": secret})
    assert created.status_code == 201, created.text
    unrelated = await tenant.client.post(
        "/org/secrets", json={"name": "UNUSED", "value": f"never-{uuid.uuid4().hex}"}
    )
    assert unrelated.status_code == 201
    outside.routes["/echo"] = echo
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "call",
                "action.http",
                method="POST",
                url=outside.url + "/echo?k={{env.API_TOKEN|upper}}",
                headers={"X-Reversed": "{{env.API_TOKEN|reverse}}", "X-Sliced": "{{env.API_TOKEN[3:]}}"},
                json={
                    "replaced": "{{env.API_TOKEN|replace('k', 'K')}}",
                    "joined": "{{env.API_TOKEN|list|join('-')}}",
                    "plain": "pre{{env.API_TOKEN}}post",
                },
            ),
            {
                **node("broken", "action.http", url="http://no-such-host.invalid/{{env.API_TOKEN|upper}}"),
                "retry": {"max_retries": 0},
            },
        ],
        "edges": [edge("start", "call"), edge("call", "broken")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"], {"x": 1})
    done = await tenant.wait(execution_id)
    assert done["status"] == "failed" and done["failed_node"] == "broken", done["error"]
    # The call really carried the secret, transformed as the templates said …
    sent = outside.requests[-1]
    assert sent.query["k"] == secret.upper() and sent.headers["x-reversed"] == secret[::-1]
    # … and the records show placeholders instead.
    steps = await tenant.steps(execution_id)
    assert steps["call"]["input"]["url"].endswith("/echo?k=[SECRET API_TOKEN]")
    assert steps["call"]["input"]["headers"]["X-Reversed"] == "]NEKOT_IPA terces["
    async with PrefectClient(api=engine_stack.prefect_url, auth_string=prefect_auth()) as prefect:
        prefect_side = await settled_prefect_records(prefect, uuid.UUID(done["prefect_flow_run_id"]), 2)
        # The run's Logs tab: the engine's step lines and Prefect's own (its error lines carry tracebacks).
        logs = await flow_run_logs(
            prefect, done["prefect_flow_run_id"], until=f"Execution {execution_id} failed"
        )
        prefect_side += "".join(str(log.model_dump()) for log in logs)
    api_side = "".join(
        [
            (await tenant.client.get(f"/executions/{execution_id}{path}")).text
            for path in ("", "/steps", "/events", "/logs")
        ]
    )
    records = {
        "the API": api_side,
        "AgentFlow's database": await database_dump(engine_stack, execution_id),
        "Prefect's API": prefect_side,
    }
    leaks = [
        f"{label} in {where}"
        for where, text in records.items()
        for label, value in forms(secret).items()
        if value in text
    ]
    assert leaks == []
    raw = files_text(engine_stack.data_dir, Path(os.environ["AGENTFLOW_TEST_PREFECT_HOME"]))
    assert [label for label, value in forms(secret).items() if value.encode() in raw] == []
    assert "[SECRET API_TOKEN]" in api_side  # the failed step's error names the placeholder instead
    # The logs that hold no secret do tell the story.
    lines = [text for _, text in engine_lines(logs)]
    assert "Step call (action.http) completed" in lines
    assert any(line.startswith("Step broken (action.http) failed: ") for line in lines)
    assert lines[-1].startswith(f"Execution {execution_id} failed at step broken: ")


async def test_the_stacks_own_services_are_refused_even_when_loopback_is_allowed(
    tenant: Tenant, engine_stack: EngineStack
) -> None:
    refused = await tenant.client.put("/org", json={"settings": {"allow_private_network": True}})
    assert refused.status_code == 422
    database = make_url(engine_stack.database_url)
    targets = {
        "prefect": engine_stack.prefect_url + "/health",
        "vault": vault_info()["addr"] + "/v1/sys/health",
        "postgres": f"http://{database.host}:{database.port}/",
        "api": engine_stack.api_url + "/health",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "private": "http://10.255.255.1/",
    }
    agent = await tenant.agent({"nodes": [node("start", "trigger", kind="api")], "edges": []}, publish=False)
    errors = {}
    for name, url in targets.items():
        call = {**node("call", "action.http", url=url), "retry": {"max_retries": 0}}
        definition = {"nodes": [node("start", "trigger", kind="api"), call], "edges": [edge("start", "call")]}
        test = await tenant.client.post(
            f"/agents/{agent['id']}/test", json={"input": {}, "definition": definition}
        )
        assert test.status_code == 202, test.text
        assert (await tenant.wait(test.json()["id"]))["status"] == "failed"
        errors[name] = (await tenant.steps(test.json()["id"]))["call"]["error"]
    for name in ("prefect", "vault", "postgres", "api"):
        assert "platform's own services" in errors[name], (name, errors[name])
    for name in ("metadata", "private"):
        assert "private or local address" in errors[name], (name, errors[name])


async def test_a_flow_run_with_another_executions_id_is_refused(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    victim = await tenant.agent(
        {
            "nodes": [
                node("start", "trigger", kind="api"),
                node("hit", "action.http", url=outside.url + "/hit"),
            ],
            "edges": [edge("start", "hit")],
        }
    )
    execution_id = await tenant.run(victim["id"])
    done = await tenant.wait(execution_id)
    hits = outside.counters.get("/hit", 0)
    victim_version = done["version_id"]
    attacker = await tenant.agent({"nodes": [node("start", "trigger", kind="api")], "edges": []}, name="a")
    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        deployment = await prefect.read_deployment_by_name(f"run-agent/{attacker['id']}")
        forged = []
        for parameters in (
            {"execution_id": execution_id},  # replay a finished execution under another flow run
            {"execution_id": execution_id, "agent_id": attacker["id"]},
            {"agent_id": attacker["id"], "version_id": victim_version},  # someone's version
        ):
            run = await prefect.create_flow_run_from_deployment(deployment.id, parameters=parameters)
            forged.append(run.id)
        for _ in range(100):
            states = [(await prefect.read_flow_run(r)).state_type for r in forged]
            if all(s is not None and s.value in ("COMPLETED", "FAILED", "CRASHED") for s in states):
                break
            await asyncio.sleep(0.2)
        assert [s.value for s in states if s is not None] == ["FAILED", "FAILED", "COMPLETED"]
    after = (await tenant.client.get(f"/executions/{execution_id}")).json()
    assert after["status"] == done["status"] and after["prefect_flow_run_id"] == done["prefect_flow_run_id"]
    assert outside.counters.get("/hit", 0) == hits  # nothing ran again
    listed = (await tenant.client.get("/executions", params={"agent_id": attacker["id"]})).json()
    assert listed["items"] == []  # the forged schedule run did not become an execution


async def test_a_paused_agents_schedule_does_not_run(tenant: Tenant, engine_api: EngineStack) -> None:
    definition = {"nodes": [node("start", "trigger", kind="schedule", cron="0 3 1 1 *")], "edges": []}
    agent = await tenant.agent(definition)
    paused = await tenant.client.put(f"/agents/{agent['id']}/status", json={"status": "paused"})
    assert paused.status_code == 200
    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        deployment = await prefect.read_deployment_by_name(f"run-agent/{agent['id']}")
        run = await prefect.create_flow_run_from_deployment(deployment.id)  # what a schedule would create
        for _ in range(100):
            state = (await prefect.read_flow_run(run.id)).state_type
            if state is not None and state.value in ("COMPLETED", "FAILED", "CRASHED"):
                break
            await asyncio.sleep(0.2)
    assert state is not None and state.value == "COMPLETED"
    listed = (await tenant.client.get("/executions", params={"agent_id": agent["id"]})).json()
    assert listed["items"] == []


async def test_an_approval_question_holding_a_secret_reaches_prefect_as_a_placeholder(
    tenant: Tenant, engine_api: EngineStack
) -> None:
    secret = f"sk-pay-{uuid.uuid4().hex[:16]}-kq"
    created = await tenant.client.post("/org/secrets", json={"name": "PAY_TOKEN", "value": secret})
    assert created.status_code == 201, created.text
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("ask", "human.approval", message="Pay with {{env.PAY_TOKEN}} ({{env.PAY_TOKEN|upper}})?"),
        ],
        "edges": [edge("start", "ask")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"])
    paused = await tenant.wait(execution_id, "paused")
    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        run = await prefect.read_flow_run(uuid.UUID(paused["prefect_flow_run_id"]))
        logs = await flow_run_logs(prefect, run.id, until="Suspended: ")
    assert run.state is not None and run.state.message is not None
    seen = str(run.state.model_dump()) + "".join(str(log.model_dump()) for log in logs)
    assert [label for label, value in forms(secret).items() if value in seen] == []
    # The operator reads what approvers read: the question with the secret's placeholder.
    assert paused["waiting_for"]["message"] in run.state.message
    assert "PAY_TOKEN" in run.state.message
    decided = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": False})
    assert decided.status_code == 200, decided.text
    assert (await tenant.wait(execution_id))["status"] == "completed"


async def test_a_resume_from_prefect_decides_nothing(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("ask", "human.approval", message="Pay?"),
            node("pay", "action.http", url=outside.url + "/pay"),
        ],
        "edges": [edge("start", "ask"), edge("ask", "pay", "approved")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"])
    paused = await tenant.wait(execution_id, "paused")
    flow_run_id = uuid.UUID(paused["prefect_flow_run_id"])
    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        await prefect.resume_flow_run(flow_run_id, run_input={"approved": True, "by": "attacker"})
        for _ in range(100):  # the run wakes, finds no decision recorded through AgentFlow, waits again
            state = (await prefect.read_flow_run(flow_run_id)).state
            round_ = (await tenant.client.get(f"/executions/{execution_id}")).json()["waiting_for"] or {}
            if state is not None and state.is_paused() and round_.get("round") == 1:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the run did not wait again: {state}")
        # What an operator who resumed it reads on the run in Prefect's UI.
        assert state.message == (
            "Still waiting for approval at step ask: “Pay?”. A resume from Prefect decides nothing: "
            "approve or reject in AgentFlow"
        )
    assert outside.counters.get("/pay", 0) == 0
    steps = await tenant.steps(execution_id)
    assert steps["ask"]["status"] == "waiting" and "pay" not in steps
    decided = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
    assert decided.status_code == 200, decided.text
    done = await tenant.wait(execution_id)
    assert done["status"] == "completed"
    steps = await tenant.steps(execution_id)
    assert steps["ask"]["output"]["by"] != "attacker" and steps["ask"]["output"]["approved"] is True
    assert outside.counters.get("/pay", 0) == 1


async def test_engine_only_reads_the_secrets_a_definition_names(tenant: Tenant, outside: Outside) -> None:
    secret = f"only-{uuid.uuid4().hex}"
    await tenant.client.post("/org/secrets", json={"name": "USED", "value": secret})
    await tenant.client.post("/org/secrets", json={"name": "OTHER", "value": f"other-{uuid.uuid4().hex}"})
    outside.routes["/echo"] = echo
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("all", "action.http", url=outside.url + "/echo", json={"env": "{{env}}"}),
            node("named", "action.http", url=outside.url + "/echo", headers={"X-T": "{{env.USED}}"}),
        ],
        "edges": [edge("start", "all"), edge("start", "named")],
    }
    agent = await tenant.agent(definition, publish=False)
    test = await tenant.client.post(f"/agents/{agent['id']}/test", json={"input": {}})
    assert test.status_code == 202, test.text
    await tenant.wait(test.json()["id"])
    steps = await tenant.steps(test.json()["id"])
    assert steps["all"]["status"] == "failed" and "must name each secret" in steps["all"]["error"]
    assert steps["named"]["status"] == "completed"
    assert [r.headers.get("x-t") for r in outside.requests] == [secret]
