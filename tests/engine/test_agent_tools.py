"""The AI node as an agent in real runs (Prefect, the worker, Postgres, Vault): each model round and tool
call is a recorded child step (input, output, attempts, time), http and knowledge tools, approvals before a
side-effecting tool (approve → it runs, reject → the model is told), and a retried AI step reusing the
tool calls it already made."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.engine.test_knowledge import _kb, _settled, _upload
from tests.factories import PASSWORD
from tests.fakes.github_api import github_api
from tests.fakes.loopback import FakeAPI, LoopbackServer
from tests.fakes.openai_wire import completion, error, openai_api, tool_call
from tests.fakes.tool_api import TOKEN, ToolAPI
from tests.support import documents

pytestmark = pytest.mark.xdist_group("engine")

GITHUB_TOKEN = "ghp_tools_" + "Z9" * 15


@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeAPI, str]]:
    api = openai_api("/v1")
    server = LoopbackServer(api.app).start()
    yield api, server.url + "/v1"
    server.stop()


@pytest.fixture
def tool_api() -> Iterator[tuple[ToolAPI, str]]:
    api = ToolAPI()
    server = LoopbackServer(api.app).start()
    yield api, server.url
    server.stop()


async def _setup(tenant: Tenant, base_url: str) -> None:
    configured = await tenant.client.post(
        "/org/providers", json={"provider": "openai", "api_key": "sk-engine-test", "base_url": base_url}
    )
    assert configured.status_code == 200, configured.text
    secret = await tenant.client.post("/org/secrets", json={"name": "TOOL_TOKEN", "value": TOKEN})
    assert secret.status_code in (200, 201), secret.text


def _http_tool(url: str, name: str, method: str, path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "name": name,
        "description": f"{method} {path}",
        "method": method,
        "url": f"{url}{path}",
        "auth": {"type": "bearer", "secret": "TOOL_TOKEN"},
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "title": {"type": "string"}},
        },
    }


def _agent(tools: list[dict[str, Any]], **config: Any) -> dict[str, Any]:
    ai = node(
        "agent", "ai", operation="chat", model="gpt-4o-mini", prompt="{{trigger.output.ask}}", tools=tools
    )
    ai["config"].update(config)
    retry = config.pop("retry", None)
    if retry:
        ai["config"].pop("retry")
        ai["retry"] = retry
    return {"nodes": [node("start", "trigger", kind="api"), ai], "edges": [edge("start", "agent")]}


def _tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "tool"]


async def test_each_round_and_tool_call_is_a_child_step(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str], tool_api: tuple[ToolAPI, str]
) -> None:
    openai, base_url = fake_openai
    tools, url = tool_api
    await _setup(tenant, base_url)
    agent = await tenant.agent(_agent([_http_tool(url, "weather", "GET", "/weather")]))
    openai.enqueue(
        completion(
            None,
            tool_calls=[
                tool_call("weather", {"city": "Paris"}, "c1"),
                tool_call("weather", {"city": "Oslo"}, "c2"),
            ],
            prompt_tokens=100,
            completion_tokens=10,
        ),
        completion("Paris is warmer.", prompt_tokens=200, completion_tokens=20),
    )
    execution = await tenant.wait(await tenant.run(agent["id"], {"ask": "Where is it warmer?"}))
    assert execution["status"] == "completed", execution

    assert {r.headers["authorization"] for r in tools.requests} == {f"Bearer {TOKEN}"}
    steps = await tenant.steps(execution["id"])
    assert set(steps) == {
        "start",
        "agent",
        "agent/round/1",
        "agent/tool/1.0",
        "agent/tool/1.1",
        "agent/round/2",
    }
    call = steps["agent/tool/1.0"]
    assert call["node_id"] == "agent" and call["node_type"] == "tool.http"
    assert call["status"] == "completed" and call["attempt"] == 1
    assert call["input"] == {"tool": "weather", "arguments": {"city": "Paris"}}
    assert call["output"] == {"status": 200, "body": {"city": "paris", "celsius": 18}}
    assert call["duration_ms"] is not None and call["started_at"] and call["finished_at"]
    assert steps["agent/round/1"]["node_type"] == "ai.round"
    assert steps["agent/round/2"]["output"]["content"] == "Paris is warmer."

    ai = steps["agent"]
    assert ai["output"]["text"] == "Paris is warmer."
    assert [r["round"] for r in ai["output"]["rounds"]] == [1, 2]
    assert ai["tokens"] == 330
    # The rounds' spend is on the AI step only: the execution's totals count it once.
    assert all(steps[k]["tokens"] == 0 for k in steps if "/" in k)
    assert execution["total_tokens"] == 330
    assert execution["total_cost_usd"] == pytest.approx(ai["cost_usd"])
    assert TOKEN not in json.dumps(steps)

    events = (await tenant.client.get(f"/executions/{execution['id']}/events")).json()
    items = events["items"] if isinstance(events, dict) else events
    seen = {(e["type"], e["step_key"]) for e in items}
    assert ("step.started", "agent/tool/1.1") in seen and ("step.completed", "agent/tool/1.1") in seen


async def test_a_transient_tool_failure_is_retried_with_the_node_policy(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str], tool_api: tuple[ToolAPI, str]
) -> None:
    openai, base_url = fake_openai
    tools, url = tool_api
    await _setup(tenant, base_url)
    tools.fail_next = 1
    definition = _agent(
        [_http_tool(url, "weather", "GET", "/weather")], retry={"max_retries": 2, "backoff_seconds": 0.05}
    )
    agent = await tenant.agent(definition)
    openai.enqueue(
        completion(None, tool_calls=[tool_call("weather", {"city": "Lima"})]), completion("22 °C.")
    )
    execution = await tenant.wait(await tenant.run(agent["id"], {"ask": "Lima?"}))
    assert execution["status"] == "completed", execution
    call = (await tenant.steps(execution["id"]))["agent/tool/1.0"]
    assert call["attempt"] == 2 and call["status"] == "completed"
    assert len(tools.requests) == 2
    assert '"celsius":22' in _tool_messages(openai.bodies()[-1])[0]["content"]


async def test_a_retried_ai_step_reuses_its_completed_tool_calls(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str], tool_api: tuple[ToolAPI, str]
) -> None:
    openai, base_url = fake_openai
    tools, url = tool_api
    await _setup(tenant, base_url)
    definition = _agent(
        [_http_tool(url, "create_ticket", "POST", "/tickets")],
        retry={"max_retries": 1, "backoff_seconds": 0.05},
    )
    agent = await tenant.agent(definition)
    openai.enqueue(
        completion(None, tool_calls=[tool_call("create_ticket", {"title": "Printer on fire"})]),
        error(500, "The server had an error"),  # round 2 fails: the AI step is retried
        completion("Ticket T-1 is open."),
    )
    execution = await tenant.wait(await tenant.run(agent["id"], {"ask": "Report the printer"}))
    assert execution["status"] == "completed", execution
    assert tools.tickets == 1, "the retried step did not open the ticket again"
    bodies = openai.bodies()
    assert len(bodies) == 3  # round 1 once (replayed on the retry), round 2 twice
    assert bodies[1]["messages"] == bodies[2]["messages"]
    steps = await tenant.steps(execution["id"])
    assert steps["agent"]["attempt"] == 2
    assert steps["agent/tool/1.0"]["attempt"] == 1
    assert steps["agent/round/1"]["attempt"] == 1
    assert steps["agent/round/2"]["attempt"] == 2


@pytest.mark.parametrize("approved", [True, False])
async def test_a_tool_waits_for_approval(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str], tool_api: tuple[ToolAPI, str], approved: bool
) -> None:
    openai, base_url = fake_openai
    tools, url = tool_api
    await _setup(tenant, base_url)
    definition = _agent(
        [_http_tool(url, "create_ticket", "POST", "/tickets"), _http_tool(url, "weather", "GET", "/weather")],
        require_approval_for=["create_ticket"],
    )
    agent = await tenant.agent(definition)
    openai.enqueue(
        completion(
            None,
            tool_calls=[
                tool_call("create_ticket", {"title": "Heating broken"}, "t1"),
                tool_call("weather", {"city": "Oslo"}, "w1"),
            ],
            prompt_tokens=100,
            completion_tokens=10,
        ),
        completion("Done." if approved else "Understood, no ticket.", prompt_tokens=150, completion_tokens=5),
    )
    execution_id = await tenant.run(agent["id"], {"ask": "It is cold"})
    paused = await tenant.wait(execution_id, "paused")
    waiting = paused["waiting_for"]
    assert waiting["tool"] == "create_ticket"
    assert waiting["arguments"] == {"title": "Heating broken"}
    assert waiting["step_key"] == "agent/tool/1.0/approval"
    assert tools.requests == [], "nothing of the round ran before the decision"
    steps = await tenant.steps(execution_id)
    assert steps["agent"]["status"] == "waiting"
    assert steps["agent/tool/1.0/approval"]["status"] == "waiting"

    decided = await tenant.client.post(
        f"/executions/{execution_id}/approve", json={"approved": approved, "comment": "checked"}
    )
    assert decided.status_code == 200, decided.text
    execution = await tenant.wait(execution_id)
    assert execution["status"] == "completed", execution
    assert len(openai.bodies()) == 2, "round 1 was replayed, not asked again"
    assert tools.tickets == (1 if approved else 0)
    assert [r.path for r in tools.requests].count("/weather") == 1
    results = {m["tool_call_id"]: m["content"] for m in _tool_messages(openai.bodies()[1])}
    if approved:
        assert '"T-1"' in results["t1"]
    else:
        assert "rejected by the approver: checked" in results["t1"]
    steps = await tenant.steps(execution_id)
    assert steps["agent/tool/1.0/approval"]["output"]["approved"] is approved
    assert steps["agent"]["status"] == "completed"
    assert steps["agent"]["tokens"] == 265  # both rounds, each counted once across the two runs
    assert execution["total_tokens"] == 265


async def test_a_knowledge_tool_searches_the_org_knowledge_base(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str]
) -> None:
    openai, base_url = fake_openai
    await _setup(tenant, base_url)
    kb = await _kb(tenant, chunk_size=128, chunk_overlap=16)
    await _upload(tenant, kb["id"], ("notes.md", documents.markdown_doc()))
    assert (await _settled(tenant, kb["id"], 1))["notes.md"]["status"] == "ready"
    tool = {"type": "knowledge", "knowledge_base_id": kb["id"], "name": "manuals", "top_k": 2}
    agent = await tenant.agent(_agent([tool]))
    openai.enqueue(
        completion(None, tool_calls=[tool_call("manuals", {"query": "install the companion app"})]),
        completion("From the store."),
    )
    execution = await tenant.wait(await tenant.run(agent["id"], {"ask": "How do I install it?"}))
    assert execution["status"] == "completed", execution
    call = (await tenant.steps(execution["id"]))["agent/tool/1.0"]
    assert call["node_type"] == "tool.knowledge"
    chunks = call["output"]["chunks"]
    assert 1 <= len(chunks) <= 2
    assert any("companion app" in c["content"] for c in chunks)
    offered = openai.bodies()[0]["tools"][0]["function"]
    assert offered["name"] == "manuals" and offered["parameters"]["required"] == ["query"]
    assert "companion app" in _tool_messages(openai.bodies()[1])[0]["content"]


async def test_an_agent_tool_runs_another_agent_as_a_sub_execution(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str]
) -> None:
    openai, base_url = fake_openai
    await _setup(tenant, base_url)
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    forecaster = await tenant.agent(
        {
            "nodes": [
                node("start", "trigger", kind="api", input_schema=schema),
                node(
                    "say",
                    "ai",
                    operation="chat",
                    model="gpt-4o-mini",
                    prompt="Forecast {{trigger.output.city}}",
                ),
            ],
            "edges": [edge("start", "say")],
        },
        name="Forecaster",
    )
    tools = [{"type": "agent", "agent_id": forecaster["id"], "name": "forecaster"}]
    caller = await tenant.agent(_agent(tools), name="Caller")
    openai.enqueue(
        completion(
            None,
            tool_calls=[tool_call("forecaster", {"city": "Oslo"}, "a1")],
            prompt_tokens=100,
            completion_tokens=10,
        ),
        completion("Snow tomorrow.", prompt_tokens=1000, completion_tokens=100),  # the forecaster's step
        completion("It will snow in Oslo.", prompt_tokens=200, completion_tokens=20),
    )
    execution = await tenant.wait(await tenant.run(caller["id"], {"ask": "Weather in Oslo?"}))
    assert execution["status"] == "completed", execution

    offered = {t["function"]["name"]: t["function"] for t in openai.bodies()[0]["tools"]}
    assert offered["forecaster"]["parameters"] == schema
    assert openai.bodies()[1]["messages"][-1]["content"] == "Forecast Oslo"
    steps = await tenant.steps(execution["id"])
    call = steps["agent/tool/1.0"]
    assert call["node_type"] == "tool.agent"
    sub = (await tenant.client.get(f"/executions/{call['output']['execution_id']}")).json()
    assert sub["agent_id"] == forecaster["id"] and sub["triggered_by"] == "agent"
    assert sub["status"] == "completed" and sub["input"] == {"city": "Oslo"}
    assert call["cost_usd"] == pytest.approx(sub["total_cost_usd"]) and call["cost_usd"] > 0
    assert call["tokens"] == 1100
    results = {m["tool_call_id"]: m["content"] for m in _tool_messages(openai.bodies()[2])}
    assert "Snow tomorrow." in results["a1"]
    assert execution["total_tokens"] == 110 + 220 + 1100
    assert execution["total_cost_usd"] == pytest.approx(steps["agent"]["cost_usd"] + call["cost_usd"])


async def test_an_agent_tool_refuses_cycles_and_other_orgs_agents(
    tenant: Tenant, engine_api: EngineStack, fake_openai: tuple[FakeAPI, str]
) -> None:
    openai, base_url = fake_openai
    await _setup(tenant, base_url)
    async with httpx.AsyncClient(base_url=engine_api.api_url, timeout=30) as client:
        signup = await client.post(
            "/auth/signup",
            json={"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD, "org_name": "Other"},
        )
        client.headers["Authorization"] = f"Bearer {signup.json()['access_token']}"
        other = await Tenant(client=client, org_id=signup.json()["org"]["id"]).agent(
            {"nodes": [node("start", "trigger", kind="api")], "edges": []}, name="Theirs"
        )
    # An agent that calls itself: published (it exists), refused when it runs.
    created = await tenant.client.post("/agents", json={"name": "Loop", "definition": _agent([])})
    loop = created.json()
    tools = [{"type": "agent", "agent_id": loop["id"], "name": "myself"}]
    etag = (await tenant.client.get(f"/agents/{loop['id']}")).headers["etag"]
    saved = await tenant.client.put(
        f"/agents/{loop['id']}", json={"definition": _agent(tools)}, headers={"If-Match": etag}
    )
    assert saved.status_code == 200, saved.text
    published = await tenant.client.post(f"/agents/{loop['id']}/publish", json={"message": "v1"})
    assert published.status_code == 201, published.text
    openai.enqueue(
        completion(None, tool_calls=[tool_call("myself", {"ask": "again"}, "m1")]), completion("Could not.")
    )
    execution = await tenant.wait(await tenant.run(loop["id"], {"ask": "go"}))
    assert execution["status"] == "completed", execution
    results = {m["tool_call_id"]: m["content"] for m in _tool_messages(openai.bodies()[1])}
    assert "already running in this chain" in results["m1"]
    listed = (await tenant.client.get("/executions", params={"agent_id": loop["id"]})).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert len(items) == 1, "no sub-execution was started"

    # Another org's agent: publishing is refused, and a test run of the draft hears "unknown agent".
    theirs = _agent([{"type": "agent", "agent_id": other["id"], "name": "theirs"}])
    draft = await tenant.agent(theirs, publish=False, name="Nosy")
    refused = await tenant.client.post(f"/agents/{draft['id']}/publish", json={"message": "v1"})
    assert refused.status_code == 422
    assert "unknown_agent" in refused.text
    openai.reset()
    openai.enqueue(completion(None, tool_calls=[tool_call("theirs", {}, "t1")]), completion("No."))
    tested = await tenant.client.post(f"/agents/{draft['id']}/test", json={"input": {"ask": "peek"}})
    assert tested.status_code == 202, tested.text
    execution = await tenant.wait(tested.json()["id"])
    assert execution["status"] == "completed", execution
    results = {m["tool_call_id"]: m["content"] for m in _tool_messages(openai.bodies()[1])}
    assert "unknown agent" in results["t1"]


async def test_an_integration_tool_acts_through_the_connection(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str]
) -> None:
    openai, base_url = fake_openai
    await _setup(tenant, base_url)
    with github_api(tokens={GITHUB_TOKEN}) as gh:
        connected = await tenant.client.post(
            "/integrations/github/connect",
            json={"name": "Octo", "credentials": {"token": GITHUB_TOKEN}, "config": {"api_base": gh.url}},
        )
        assert connected.status_code == 201, connected.text
        connection_id = connected.json()["id"]
        tools = [
            {
                "type": "integration",
                "connection_id": connection_id,
                "action": "create_issue",
                "name": "open_issue",
            }
        ]
        agent = await tenant.agent(_agent(tools))
        openai.enqueue(
            completion(
                None,
                tool_calls=[tool_call("open_issue", {"owner": "octo", "repo": "app", "title": "Flaky test"})],
            ),
            completion("Opened issue 1."),
        )
        execution = await tenant.wait(await tenant.run(agent["id"], {"ask": "File it"}))
        assert execution["status"] == "completed", execution
        (created,) = gh.for_path("/repos/octo/app/issues")
        assert created.method == "POST" and created.header("authorization") == f"Bearer {GITHUB_TOKEN}"
        assert created.body["title"] == "Flaky test"

    offered = openai.bodies()[0]["tools"][0]["function"]
    assert offered["name"] == "open_issue"
    assert {"owner", "repo", "title"} <= set(offered["parameters"]["properties"])
    steps = await tenant.steps(execution["id"])
    call = steps["agent/tool/1.0"]
    assert call["node_type"] == "tool.integration" and call["output"]["number"] == 1
    assert GITHUB_TOKEN not in json.dumps(steps)

    bad = _agent([{"type": "integration", "connection_id": str(uuid.uuid4()), "action": "create_issue"}])
    draft = await tenant.agent(bad, publish=False, name="Bad")
    refused = await tenant.client.post(f"/agents/{draft['id']}/publish", json={"message": "v1"})
    assert refused.status_code == 422
    issues = {(i["field"], i["code"]) for i in refused.json()["error"]["details"]["errors"]}
    assert ("config.tools[0].connection_id", "unknown_connection") in issues
