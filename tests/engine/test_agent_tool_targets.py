"""Agent and integration tools in real runs: another agent run as a sub-execution (its cost on the tool's
step, cycles and other orgs' agents refused), a GitHub action through the org's connection, and publish
checks on the tools' targets."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.engine.test_agent_tools import _agent, _setup, _tool_messages
from tests.factories import PASSWORD
from tests.fakes.github_api import github_api
from tests.fakes.loopback import FakeAPI, LoopbackServer
from tests.fakes.openai_wire import completion, openai_api, tool_call

pytestmark = pytest.mark.xdist_group("engine")

GITHUB_TOKEN = "ghp_tools_" + "Z9" * 15


@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeAPI, str]]:
    api = openai_api("/v1")
    server = LoopbackServer(api.app).start()
    yield api, server.url + "/v1"
    server.stop()


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
