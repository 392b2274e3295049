"""Webhook triggers (signed and not), the live stream, cron schedules, secrets in runs."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid

import httpx
import pytest
import websockets
from prefect.client.orchestration import PrefectClient

from tests.conftest import prefect_auth, prefect_basic_auth
from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.support.outside import Outside

pytestmark = pytest.mark.xdist_group("engine")


def webhook_agent(outside: Outside, **trigger: object) -> dict[str, object]:
    return {
        "nodes": [
            node("start", "trigger", kind="webhook", **trigger),
            node(
                "forward",
                "action.http",
                method="POST",
                url=outside.url + "/got",
                json={"title": "{{trigger.output.body.title}}"},
            ),
        ],
        "edges": [edge("start", "forward")],
    }


async def test_webhook_starts_the_agent(tenant: Tenant, outside: Outside, engine_api: EngineStack) -> None:
    agent = await tenant.agent(webhook_agent(outside))
    url = agent["webhook_url"]
    assert url and "/api/v1/hooks/" in url
    token = url.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=engine_api.api_url) as anonymous:
        accepted = await anonymous.post(
            f"/hooks/{token}?source=ci",
            json={"title": "Crash on save"},
            headers={"Authorization": "Bearer must-not-be-kept"},
        )
        assert accepted.status_code == 202, accepted.text
        form = await anonymous.post(f"/hooks/{token}", data={"title": "From a form"})
        assert form.status_code == 202
        malformed = await anonymous.post(
            f"/hooks/{token}", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert malformed.status_code == 400
        unknown = await anonymous.post("/hooks/not-a-real-token", json={})
        assert unknown.status_code == 404
    execution = await tenant.wait(accepted.json()["execution_id"])
    assert execution["status"] == "completed", execution
    assert execution["triggered_by"] == "webhook"
    assert execution["input"]["body"] == {"title": "Crash on save"}
    assert execution["input"]["query"] == {"source": "ci"}
    assert "authorization" not in execution["input"]["headers"]
    await tenant.wait(form.json()["execution_id"])
    assert sorted(r.body for r in outside.requests) == [
        b'{"title":"Crash on save"}',
        b'{"title":"From a form"}',
    ]

    rotated = await tenant.client.post(f"/agents/{agent['id']}/webhook/rotate")
    assert rotated.json()["webhook_url"] != url
    async with httpx.AsyncClient(base_url=engine_api.api_url) as anonymous:
        assert (await anonymous.post(f"/hooks/{token}", json={})).status_code == 404


async def test_signed_webhooks_refuse_wrong_signatures(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    created = await tenant.client.post("/org/secrets", json={"name": "HOOK_KEY", "value": "sh-secret"})
    assert created.status_code == 201, created.text
    agent = await tenant.agent(webhook_agent(outside, signing_secret="HOOK_KEY"))
    token = agent["webhook_url"].rsplit("/", 1)[1]
    body = b'{"title": "signed"}'
    good = "sha256=" + hmac.new(b"sh-secret", body, hashlib.sha256).hexdigest()
    async with httpx.AsyncClient(base_url=engine_api.api_url) as anonymous:
        headers = {"Content-Type": "application/json"}
        missing = await anonymous.post(f"/hooks/{token}", content=body, headers=headers)
        assert missing.status_code == 401
        wrong = await anonymous.post(
            f"/hooks/{token}", content=body, headers={**headers, "X-AgentFlow-Signature": "sha256=00"}
        )
        assert wrong.status_code == 401
        ok = await anonymous.post(
            f"/hooks/{token}", content=body, headers={**headers, "X-AgentFlow-Signature": good}
        )
        assert ok.status_code == 202, ok.text
    assert (await tenant.wait(ok.json()["execution_id"]))["status"] == "completed"
    assert len(outside.requests) == 1


async def test_the_stream_replays_and_follows_every_event_in_order(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("pause", "logic.delay", seconds=0.5),
            node("call", "action.http", url=outside.url + "/x"),
            node("never", "action.http", url=outside.url + "/never"),
        ],
        "edges": [edge("start", "pause"), edge("pause", "call"), edge("call", "never", "error")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"])
    token = tenant.client.headers["Authorization"].removeprefix("Bearer ")
    ws_url = (
        engine_api.api_url.replace("http://", "ws://") + f"/executions/{execution_id}/stream?token={token}"
    )
    received = []
    async with websockets.connect(ws_url) as socket:
        async for message in socket:
            received.append(json.loads(message))
    types = [(e["type"], e["node_id"]) for e in received]
    assert types == [
        ("execution.started", None),
        ("step.started", "start"),
        ("step.completed", "start"),
        ("step.started", "pause"),
        ("step.completed", "pause"),
        ("step.started", "call"),
        ("step.completed", "call"),
        ("step.skipped", "never"),
        ("execution.completed", None),
    ]
    assert [e["id"] for e in received] == sorted(e["id"] for e in received)
    # A late subscriber gets the same history.
    async with websockets.connect(ws_url) as socket:
        late = [json.loads(m) for m in [message async for message in socket]]
    assert [e["id"] for e in late] == [e["id"] for e in received]


async def test_stream_refuses_strangers(tenant: Tenant, engine_api: EngineStack) -> None:
    agent = await tenant.agent({"nodes": [node("start", "trigger", kind="api")], "edges": []})
    execution_id = await tenant.run(agent["id"])
    base = engine_api.api_url.replace("http://", "ws://") + f"/executions/{execution_id}/stream"
    async with websockets.connect(base) as socket:
        error = json.loads(await socket.recv())
        assert error["code"] == 4401
    async with httpx.AsyncClient(base_url=engine_api.api_url) as other:
        signup = await other.post(
            "/auth/signup",
            json={
                "email": f"{uuid.uuid4().hex[:10]}@example.com",
                "password": "long enough pw",
                "org_name": "Other",
            },
        )
        stranger = signup.json()["access_token"]
    async with websockets.connect(f"{base}?token={stranger}") as socket:
        error = json.loads(await socket.recv())
        assert error["code"] == 4404


def parse_sse(body: str) -> list[dict[str, object]]:
    """`id:`/`event:`/`data:` frames as dicts; comments (`: keep-alive`) dropped."""
    frames = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            frames.append({"id": int(fields["id"]), "event": fields["event"], **json.loads(fields["data"])})
    return frames


async def test_server_sent_events_carry_the_same_stream_and_resume_after_last_event_id(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("pause", "logic.delay", seconds=0.3),
            node("call", "action.http", url=outside.url + "/x"),
        ],
        "edges": [edge("start", "pause"), edge("pause", "call")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"])
    url = f"/executions/{execution_id}/stream"
    # Subscribed while the run is going: the response ends by itself when the execution ends.
    async with tenant.client.stream("GET", url, timeout=60) as live:
        assert live.status_code == 200
        assert live.headers["content-type"].startswith("text/event-stream")
        body = "".join([chunk async for chunk in live.aiter_text()])
    frames = parse_sse(body)
    assert [(f["event"], f["node_id"]) for f in frames] == [
        ("execution.started", None),
        ("step.started", "start"),
        ("step.completed", "start"),
        ("step.started", "pause"),
        ("step.completed", "pause"),
        ("step.started", "call"),
        ("step.completed", "call"),
        ("execution.completed", None),
    ]
    assert all(f["event"] == f["type"] for f in frames)
    # The stream's objects are the listed ones, field for field (one name for an event's time: created_at).
    listed = (await tenant.client.get(f"/executions/{execution_id}/events")).json()
    assert listed == [{k: v for k, v in f.items() if k != "event"} for f in frames]
    assert all("created_at" in e for e in listed)

    # A reconnecting EventSource sends Last-Event-ID and gets only what came after it.
    resumed = await tenant.client.get(url, headers={"Last-Event-ID": str(frames[4]["id"])}, timeout=60)
    assert [f["id"] for f in parse_sse(resumed.text)] == [f["id"] for f in frames[5:]]

    # EventSource cannot send headers: ?token= works; strangers and bad input get the usual errors.
    token = tenant.client.headers["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(base_url=engine_api.api_url, timeout=60) as anonymous:
        with_token = await anonymous.get(url, params={"token": token})
        assert [f["id"] for f in parse_sse(with_token.text)] == [f["id"] for f in frames]
        refused = await anonymous.get(url)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "not_authenticated"
        signup = await anonymous.post(
            "/auth/signup",
            json={
                "email": f"{uuid.uuid4().hex[:10]}@example.com",
                "password": "long enough pw",
                "org_name": "O",
            },
        )
        stranger = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        assert (await anonymous.get(url, headers=stranger)).status_code == 404
        bad_id = await anonymous.get(url, headers={**stranger, "Last-Event-ID": "yesterday"})
        assert bad_id.status_code == 422


async def test_a_schedule_trigger_creates_a_deployment_with_its_cron_and_timezone(
    tenant: Tenant, engine_api: EngineStack
) -> None:
    definition = {
        "nodes": [node("start", "trigger", kind="schedule", cron="30 9 * * 1-5", timezone="Europe/Paris")],
        "edges": [],
    }
    agent = await tenant.agent(definition)
    async with httpx.AsyncClient(base_url=engine_api.prefect_url, auth=prefect_basic_auth()) as prefect:
        deployment = (await prefect.get(f"/deployments/name/run-agent/{agent['id']}")).json()
        assert deployment["work_pool_name"] == engine_api.pool
        assert f"org:{tenant.org_id}" in deployment["tags"]
        assert f"agent:{agent['id']}" in deployment["tags"]
        [schedule] = deployment["schedules"]
        assert schedule["schedule"]["cron"] == "30 9 * * 1-5"
        assert schedule["schedule"]["timezone"] == "Europe/Paris"
        assert schedule["active"] is True
        assert deployment["paused"] is False
        paused = await tenant.client.put(f"/agents/{agent['id']}/status", json={"status": "paused"})
        assert paused.status_code == 200
        assert (await prefect.get(f"/deployments/{deployment['id']}")).json()["paused"] is True


async def test_a_scheduled_flow_run_becomes_an_execution_and_runs(
    tenant: Tenant, outside: Outside, engine_api: EngineStack
) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="schedule", cron="0 3 1 1 *"),
            node("tick", "action.http", url=outside.url + "/tick"),
        ],
        "edges": [edge("start", "tick")],
    }
    agent = await tenant.agent(definition)
    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        deployment = await prefect.read_deployment_by_name(f"run-agent/{agent['id']}")
        run = await prefect.create_flow_run_from_deployment(deployment.id)  # what the schedule creates
    execution: dict[str, object] = {}
    for _ in range(300):
        listed = (await tenant.client.get("/executions", params={"agent_id": agent["id"]})).json()["items"]
        if listed and listed[0]["status"] in ("completed", "failed"):
            [execution] = listed
            break
        await asyncio.sleep(0.2)
    assert execution.get("status") == "completed", execution
    assert execution["triggered_by"] == "schedule"
    assert execution["prefect_flow_run_id"] == str(run.id)
    assert isinstance(execution["input"], dict) and execution["input"]["scheduled_at"]
    assert outside.counters["/tick"] == 1


async def test_secrets_reach_nodes_and_are_masked_in_records(tenant: Tenant, outside: Outside) -> None:
    await tenant.client.post("/org/secrets", json={"name": "API_TOKEN", "value": "tok-12345-secret"})
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "call",
                "action.http",
                url=outside.url + "/echo",
                headers={"X-Token": "{{env.API_TOKEN}}"},
                query={"t": "{{env.API_TOKEN}}"},
            ),
        ],
        "edges": [edge("start", "call")],
    }
    agent = await tenant.agent(definition)
    execution = await tenant.wait(await tenant.run(agent["id"]))
    assert execution["status"] == "completed", execution
    assert outside.requests[0].headers["x-token"] == "tok-12345-secret"
    step = (await tenant.steps(execution["id"]))["call"]
    assert step["input"]["headers"]["X-Token"] == "[secret API_TOKEN]"  # a placeholder, never the value
    everything = json.dumps(
        [execution, step, (await tenant.client.get(f"/executions/{execution['id']}/events")).json()]
    )
    assert "tok-12345-secret" not in everything
