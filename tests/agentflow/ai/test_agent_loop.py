"""The AI node as an agent, through the engine's handler with the loopback OpenAI and Anthropic: tools run,
their results go back in each provider's wire format, rounds and usage are reported, failures reach the
model, `max_tool_rounds` stops the loop, and the fallback chain carries a conversation to another provider."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from agentflow.egress import guarded_client
from agentflow.nodes.ai.handler import AIHandler
from agentflow.nodes.ai.model import AiNode
from agentflow.nodes.context import NodeContext, NodeResult
from agentflow.nodes.errors import StepError
from agentflow.providers import Router
from tests.fakes import anthropic_wire, openai_wire
from tests.fakes.cases import LOOPBACK_EGRESS, Case
from tests.fakes.fixtures import ORG
from tests.fakes.loopback import LoopbackServer
from tests.fakes.tool_api import TOKEN, ToolAPI

HANDLER = AIHandler()


@pytest.fixture(scope="module")
def tool_server() -> Iterator[tuple[ToolAPI, str]]:
    api = ToolAPI()
    server = LoopbackServer(api.app).start()
    yield api, server.url
    server.stop()


@pytest.fixture
def tool_api(tool_server: tuple[ToolAPI, str]) -> tuple[ToolAPI, str]:
    tool_server[0].reset()
    return tool_server


@pytest.fixture
async def ctx(router: Router) -> AsyncIterator[NodeContext]:
    async with guarded_client(LOOPBACK_EGRESS) as http:
        yield NodeContext(
            execution_id=uuid.uuid4(), org_id=ORG, http=http, router=router, env={"TOOL_TOKEN": TOKEN}
        )


def weather_tool(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "name": "weather",
        "description": "Current temperature of a city.",
        "method": "GET",
        "url": f"{url}/weather",
        "auth": {"type": "bearer", "secret": "TOOL_TOKEN"},
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        **extra,
    }


def ticket_tool(url: str) -> dict[str, Any]:
    return {
        "type": "http",
        "name": "create_ticket",
        "description": "Opens a ticket.",
        "method": "POST",
        "url": f"{url}/tickets",
        "auth": {"type": "bearer", "secret": "TOOL_TOKEN"},
        "parameters": {"type": "object", "properties": {"title": {"type": "string"}}},
    }


def node(model: str, tools: list[dict[str, Any]], **config: Any) -> AiNode:
    body = {"model": model, "prompt": "How warm is it in Paris and Oslo?", "tools": tools, **config}
    return AiNode.model_validate({"id": "agent", "type": "ai", "config": body})


async def run(ai: AiNode, ctx: NodeContext) -> NodeResult:
    return await HANDLER.run(ai, ai.config.model_dump(mode="json", by_alias=True), ctx)


async def test_two_rounds_with_parallel_calls_on_openai(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    api, url = tool_api
    api.delay = 0.3  # each call takes 0.3 s: two in one round finish together when run at once
    openai = cases["openai"]
    openai.api.enqueue(
        openai_wire.completion(
            None,
            tool_calls=[
                openai_wire.tool_call("weather", {"city": "Paris"}, "call_a"),
                openai_wire.tool_call("weather", {"city": "Oslo"}, "call_b"),
            ],
            prompt_tokens=50,
            completion_tokens=10,
        ),
        openai_wire.completion("Paris 18 °C, Oslo 4 °C.", prompt_tokens=90, completion_tokens=12),
    )
    result = await run(node("gpt-4o-mini", [weather_tool(url)]), ctx)

    first_call, second_call = api.requests
    assert abs(second_call.arrived - first_call.arrived) < 0.25, "the round's two calls run at once"
    assert sorted(r.query["city"] for r in api.requests) == ["Oslo", "Paris"]
    assert {r.method for r in api.requests} == {"GET"}
    assert {r.headers["authorization"] for r in api.requests} == {f"Bearer {TOKEN}"}
    first, second = (r.body for r in openai.chat_requests())
    assert first["tools"][0]["function"]["name"] == "weather"
    assert first["tools"][0]["function"]["parameters"]["required"] == ["city"]
    conversation = second["messages"]
    assert conversation[0] == {"role": "user", "content": "How warm is it in Paris and Oslo?"}
    assert conversation[1]["role"] == "assistant"
    assert [c["id"] for c in conversation[1]["tool_calls"]] == ["call_a", "call_b"]
    assert conversation[2] == {
        "role": "tool",
        "tool_call_id": "call_a",
        "content": '{"body":{"celsius":18,"city":"paris"},"status":200}',
    }
    assert conversation[3]["tool_call_id"] == "call_b" and '"celsius":4' in conversation[3]["content"]

    output = result.output
    assert output["text"] == "Paris 18 °C, Oslo 4 °C."
    assert output["stopped"] == "answer"
    assert [(c["id"], c["result"]["body"]["celsius"]) for c in output["tool_calls"]] == [
        ("call_a", 18),
        ("call_b", 4),
    ]
    assert [
        (r["round"], r["input_tokens"], r["output_tokens"], r["tool_calls"]) for r in output["rounds"]
    ] == [
        (1, 50, 10, 2),
        (2, 90, 12, 0),
    ]
    assert output["usage"]["input_tokens"] == 140 and output["usage"]["output_tokens"] == 22
    assert result.tokens == 162
    assert result.cost_usd == pytest.approx(sum(r["cost_usd"] for r in output["rounds"]))
    assert result.cost_usd > 0


async def test_two_rounds_on_anthropic_send_tool_results_as_one_user_turn(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    _, url = tool_api
    anthropic = cases["anthropic"]
    anthropic.api.enqueue(
        anthropic_wire.message(
            [
                anthropic_wire.text_block("Checking both."),
                anthropic_wire.tool_use("weather", {"city": "Paris"}, "toolu_a"),
                anthropic_wire.tool_use("weather", {"city": "Oslo"}, "toolu_b"),
            ]
        ),
        anthropic_wire.message("Paris is warmer."),
    )
    result = await run(node("claude-3-5-haiku-latest", [weather_tool(url)]), ctx)

    second = anthropic.chat_requests()[1].body
    assert second["messages"][1]["role"] == "assistant"
    assert [b["type"] for b in second["messages"][1]["content"]] == ["text", "tool_use", "tool_use"]
    results = second["messages"][2]
    assert results["role"] == "user"
    assert [(b["type"], b["tool_use_id"]) for b in results["content"]] == [
        ("tool_result", "toolu_a"),
        ("tool_result", "toolu_b"),
    ]
    assert result.output["text"] == "Paris is warmer."
    assert result.output["usage"]["provider"] == "anthropic"


async def test_a_failing_tool_is_reported_to_the_model_and_the_step_goes_on(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    _, url = tool_api
    openai = cases["openai"]
    openai.api.enqueue(
        openai_wire.completion(None, tool_calls=[openai_wire.tool_call("weather", {"city": "Atlantis"})]),
        openai_wire.completion("I could not find Atlantis."),
    )
    result = await run(node("gpt-4o-mini", [weather_tool(url)]), ctx)

    tool_turn = openai.chat_requests()[1].body["messages"][2]
    assert tool_turn["role"] == "tool" and tool_turn["tool_call_id"] == "call_1"
    assert "404" in tool_turn["content"]
    assert result.output["text"] == "I could not find Atlantis."
    assert "404" in result.output["tool_calls"][0]["error"]
    assert "result" not in result.output["tool_calls"][0]


async def test_anthropic_hears_of_a_failure_as_an_error_result(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    api, url = tool_api
    api.fail_next = 1
    anthropic = cases["anthropic"]
    anthropic.api.enqueue(
        anthropic_wire.message([anthropic_wire.tool_use("weather", {"city": "Paris"})]),
        anthropic_wire.message("The weather service is down."),
    )
    await run(node("claude-3-5-haiku-latest", [weather_tool(url)]), ctx)
    block = anthropic.chat_requests()[1].body["messages"][2]["content"][0]
    assert block["type"] == "tool_result" and block["is_error"] is True
    assert "500" in str(block["content"])


async def test_max_tool_rounds_completes_the_step_with_the_last_answer(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    api, url = tool_api
    openai = cases["openai"]
    for n in range(3):
        openai.api.enqueue(
            openai_wire.completion(
                f"round {n + 1}", tool_calls=[openai_wire.tool_call("weather", {"city": "Lima"}, f"c{n}")]
            )
        )
    result = await run(node("gpt-4o-mini", [weather_tool(url)], max_tool_rounds=2), ctx)

    assert len(openai.chat_requests()) == 2
    assert len(api.requests) == 2  # the last round's call did not run: no model would read its result
    assert result.output["stopped"] == "max_tool_rounds"
    assert result.output["text"] == "round 2"
    assert [r["round"] for r in result.output["rounds"]] == [1, 2]


async def test_the_fallback_chain_carries_the_conversation_to_another_provider(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    api, url = tool_api
    openai, anthropic = cases["openai"], cases["anthropic"]
    openai.api.enqueue(
        openai_wire.completion(None, tool_calls=[openai_wire.tool_call("create_ticket", {"title": "Heat"})]),
        openai_wire.error(500, "The server had an error"),
        openai_wire.error(500, "The server had an error"),
        openai_wire.error(500, "The server had an error"),
    )
    anthropic.api.enqueue(anthropic_wire.message("Ticket T-1 is open."))
    ai = node("gpt-4o-mini", [ticket_tool(url)], fallback_models=["claude-3-5-haiku-latest"])
    result = await run(ai, ctx)

    assert api.requests[0].body == {"title": "Heat"}
    sent = anthropic.chat_requests()[0].body["messages"]
    assert sent[1]["content"][0] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "create_ticket",
        "input": {"title": "Heat"},
    }
    assert sent[2]["content"][0]["tool_use_id"] == "call_1"
    assert [r["provider"] for r in result.output["rounds"]] == ["openai", "anthropic"]
    assert result.output["text"] == "Ticket T-1 is open."


async def test_plain_function_calls_are_returned_not_run(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    api, url = tool_api
    openai = cases["openai"]
    openai.api.enqueue(
        openai_wire.completion(None, tool_calls=[openai_wire.tool_call("escalate", {"level": 2}, "f1")])
    )
    function = {
        "name": "escalate",
        "parameters": {"type": "object", "properties": {"level": {"type": "integer"}}},
    }
    result = await run(node("gpt-4o-mini", [weather_tool(url), function]), ctx)
    assert api.requests == []
    assert result.output["stopped"] == "function_call"
    assert result.output["tool_calls"] == [
        {"id": "f1", "name": "escalate", "arguments": {"level": 2}, "round": 1}
    ]
    assert {t["function"]["name"] for t in openai.chat_requests()[0].body["tools"]} == {"weather", "escalate"}


async def test_an_unknown_tool_or_broken_arguments_go_back_as_errors(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    api, url = tool_api
    openai = cases["openai"]
    openai.api.enqueue(
        openai_wire.completion(
            None,
            tool_calls=[
                openai_wire.tool_call("delete_everything", {}, "x1"),
                openai_wire.tool_call("weather", '{"city": "Par', "x2"),
            ],
        ),
        openai_wire.completion("Sorry."),
    )
    result = await run(node("gpt-4o-mini", [weather_tool(url)]), ctx)
    assert api.requests == []
    errors = [m["content"] for m in openai.chat_requests()[1].body["messages"] if m["role"] == "tool"]
    assert errors == ["unknown tool 'delete_everything'", "the arguments were not a valid JSON object"]
    assert result.output["text"] == "Sorry."


async def test_a_tool_that_needs_approval_cannot_run_outside_an_execution(
    cases: dict[str, Case], ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    api, url = tool_api
    cases["openai"].api.enqueue(
        openai_wire.completion(None, tool_calls=[openai_wire.tool_call("create_ticket", {"title": "x"})])
    )
    ai = node("gpt-4o-mini", [ticket_tool(url)], require_approval_for=["create_ticket"])
    with pytest.raises(StepError, match="needs an approval"):
        await run(ai, ctx)
    assert api.requests == []


def test_tool_configs_are_bounded_and_named_uniquely() -> None:
    url = "http://127.0.0.1:1"
    with pytest.raises(ValueError, match="unique"):
        node("m", [weather_tool(url), weather_tool(url)])
    with pytest.raises(ValueError, match="require_approval_for"):
        node("m", [weather_tool(url)], require_approval_for=["nope"])
    with pytest.raises(ValueError, match="pattern"):
        node("m", [weather_tool(url, name="has space")])
    with pytest.raises(ValueError, match="at most 32"):
        node("m", [{**weather_tool(url), "name": f"t{i}"} for i in range(33)])
    with pytest.raises(ValueError, match="less than or equal to 32"):
        node("m", [weather_tool(url)], max_tool_rounds=33)
    legacy = node("m", [{"name": "lookup", "description": "d"}])  # a plain function spec, no `type`
    assert legacy.config.tools[0].type == "function"
    kinds = node(
        "m",
        [
            {"type": "integration", "connection_id": "c1", "action": "send_message"},
            {"type": "knowledge", "knowledge_base_id": "kb1"},
            {"type": "agent", "agent_id": "a1"},
            {"type": "mcp", "connection_id": "c2", "tool": "search"},
        ],
    )
    assert [t.type for t in kinds.config.tools] == ["integration", "knowledge", "agent", "mcp"]


async def test_the_loop_runs_on_every_provider(
    case: Case, ctx: NodeContext, tool_api: tuple[ToolAPI, str]
) -> None:
    api, url = tool_api
    case.api.enqueue(case.tool_call("weather", {"city": "Oslo"}), case.text("Cold: 4 °C."))
    result = await run(node(case.model, [weather_tool(url)]), ctx)

    assert [r.query for r in api.requests] == [{"city": "Oslo"}]
    assert result.output["text"] == "Cold: 4 °C."
    assert result.output["tool_calls"][0]["result"]["body"] == {"city": "oslo", "celsius": 4}
    assert [r["provider"] for r in result.output["rounds"]] == [case.name, case.name]
    # The result went back in the provider's own format (a string inside its tool turn).
    assert '\\"celsius\\":4' in json.dumps(case.chat_requests()[1].body)
