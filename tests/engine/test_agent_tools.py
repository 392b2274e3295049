"""The AI node as an agent in real runs (Prefect, the worker, Postgres, Vault): each model round and tool
call is a recorded child step (input, output, attempts, time), http and knowledge tools, approvals before a
side-effecting tool (approve → it runs, reject → the model is told), and a retried AI step reusing the
tool calls it already made. Agent and integration tools: test_agent_tool_targets.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import Tenant, edge, node
from tests.engine.test_knowledge import _kb, _settled, _upload
from tests.fakes.loopback import FakeAPI, LoopbackServer
from tests.fakes.openai_wire import completion, error, openai_api, tool_call
from tests.fakes.tool_api import TOKEN, ToolAPI
from tests.support import documents

pytestmark = pytest.mark.xdist_group("engine")


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
    # Any editor may decide a tool call: the owner is told, without the call's arguments.
    (told,) = (await tenant.client.get("/notifications")).json()["items"]
    assert told["kind"] == "approval.requested" and told["link"] == f"/executions/{execution_id}"
    assert "create_ticket" in told["body"] and "Heating" not in told["body"]

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
