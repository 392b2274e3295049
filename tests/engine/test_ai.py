"""The AI node inside real runs: org provider settings from Vault, the real OpenAI SDK against a loopback
server speaking OpenAI's wire format, tokens and cost on the step and in the execution's totals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.conftest import Tenant, edge, node
from tests.fakes.loopback import FakeAPI, LoopbackServer
from tests.fakes.openai_wire import completion, error, openai_api

pytestmark = pytest.mark.xdist_group("engine")


@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeAPI, str]]:
    api = openai_api("/v1")
    server = LoopbackServer(api.app).start()
    yield api, server.url + "/v1"
    server.stop()


async def test_ai_step_calls_the_provider_and_records_tokens_and_cost(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str]
) -> None:
    api, base_url = fake_openai
    configured = await tenant.client.post(
        "/org/providers", json={"provider": "openai", "api_key": "sk-engine-test", "base_url": base_url}
    )
    assert configured.status_code == 200, configured.text
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "greet",
                "ai",
                operation="chat",
                model="gpt-4o-mini",
                prompt="Say hi to {{trigger.output.name}}",
            ),
        ],
        "edges": [edge("start", "greet")],
    }
    agent = await tenant.agent(definition)
    api.enqueue(completion("Hi Ada!", prompt_tokens=1000, completion_tokens=500))
    execution = await tenant.wait(await tenant.run(agent["id"], {"name": "Ada"}))
    assert execution["status"] == "completed", execution
    request = api.bodies()[-1]
    assert request["messages"][-1]["content"] == "Say hi to Ada"
    assert api.last.header("authorization") == "Bearer sk-engine-test"
    step = (await tenant.steps(execution["id"]))["greet"]
    assert step["output"]["text"] == "Hi Ada!"
    assert step["output"]["usage"]["provider"] == "openai"
    assert [a["status"] for a in step["output"]["provider_attempts"]] == ["ok"]
    assert step["tokens"] == 1500
    assert step["cost_usd"] > 0
    assert step["cost_usd"] == pytest.approx(step["output"]["usage"]["cost_usd"])
    assert execution["total_tokens"] == 1500
    assert execution["total_cost_usd"] == pytest.approx(step["cost_usd"])


async def test_a_provider_rejection_fails_the_step_without_retrying(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str]
) -> None:
    api, base_url = fake_openai
    await tenant.client.post(
        "/org/providers", json={"provider": "openai", "api_key": "bad", "base_url": base_url}
    )
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {
                **node("greet", "ai", operation="chat", model="gpt-4o-mini", prompt="hi"),
                "retry": {"max_retries": 3, "backoff_seconds": 0.1},
            },
        ],
        "edges": [edge("start", "greet")],
    }
    agent = await tenant.agent(definition)
    api.enqueue(error(401, "Incorrect API key provided"))
    execution = await tenant.wait(await tenant.run(agent["id"]))
    assert execution["status"] == "failed"
    assert "Incorrect API key" in execution["error"]
    assert len(api.bodies()) == 1


async def test_a_failed_ai_step_records_its_kind_attempts_tokens_and_cost(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str]
) -> None:
    """An answer that never validates fails the step as permanent, and what the calls cost stays on it."""
    api, base_url = fake_openai
    await tenant.client.post(
        "/org/providers", json={"provider": "openai", "api_key": "sk-engine-test", "base_url": base_url}
    )
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {
                **node(
                    "pull", "ai", operation="extract", model="gpt-4o-mini", prompt="x", output_schema=schema
                ),
                "retry": {"max_retries": 2, "backoff_seconds": 0.1},
            },
        ],
        "edges": [edge("start", "pull")],
    }
    agent = await tenant.agent(definition)
    for _ in range(10):
        api.enqueue(completion("this is no JSON", prompt_tokens=100, completion_tokens=10))
    execution = await tenant.wait(await tenant.run(agent["id"]))
    assert execution["status"] == "failed"
    step = (await tenant.steps(execution["id"]))["pull"]
    assert step["status"] == "failed"
    assert step["error_kind"] == "permanent"
    assert not step["error"].startswith("AIStepError")
    assert step["output"]["code"] == "output_validation"
    calls = len(api.bodies())
    assert calls >= 2 and step["attempt"] == 1  # validation retries are calls, not step attempts
    assert step["tokens"] == 110 * calls
    assert step["cost_usd"] > 0
    assert execution["total_tokens"] == step["tokens"]


async def test_a_transient_ai_failure_is_retried_and_counts_its_attempts(
    tenant: Tenant, fake_openai: tuple[FakeAPI, str]
) -> None:
    api, base_url = fake_openai
    await tenant.client.post(
        "/org/providers", json={"provider": "openai", "api_key": "sk-engine-test", "base_url": base_url}
    )
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            {
                **node("greet", "ai", operation="chat", model="gpt-4o-mini", prompt="hi"),
                "retry": {"max_retries": 1, "backoff_seconds": 0.1},
            },
        ],
        "edges": [edge("start", "greet")],
    }
    agent = await tenant.agent(definition)
    for _ in range(10):
        api.enqueue(error(429, "Rate limit reached"))
    execution = await tenant.wait(await tenant.run(agent["id"]))
    assert execution["status"] == "failed"
    step = (await tenant.steps(execution["id"]))["greet"]
    assert (step["status"], step["error_kind"], step["attempt"]) == ("failed", "transient", 2)
    assert step["output"]["code"] == "rate_limit"
