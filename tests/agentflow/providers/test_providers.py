"""Each provider's real SDK client against a loopback server speaking that provider's wire format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agentflow.embedded.ports import free_port
from agentflow.providers import (
    Message,
    ProviderConfig,
    ProviderError,
    ResponseFormat,
    StreamEnd,
    TextDelta,
    ToolSpec,
)
from agentflow.providers.registry import create_provider
from tests.fakes import ollama_wire
from tests.fakes.cases import LOOPBACK_EGRESS, Case
from tests.fakes.loopback import Reply

MESSAGES = [Message("system", "Be brief."), Message("user", "What is 2 + 2?")]
# 1000 input and 200 output tokens at each provider's price for the case's model.
EXPECTED_COST = {
    "openai": Decimal("0.00027"),  # gpt-4o-mini: 1000 * 0.15 + 200 * 0.60
    "google": Decimal("0.00018"),  # gemini-2.0-flash: 1000 * 0.10 + 200 * 0.40
    "anthropic": Decimal("0.0016"),  # claude-3-5-haiku: 1000 * 0.80 + 200 * 4.00
    "ollama": Decimal(0),  # local
}
WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


async def _chat(case: Case, router_model: str | None = None, **kwargs: object) -> object:
    provider = create_provider(case.config, timeout=5, egress=LOOPBACK_EGRESS)
    try:
        model = router_model or case.model.removeprefix("ollama/")
        return await provider.chat(MESSAGES, model=model, **kwargs)  # type: ignore[arg-type]
    finally:
        await provider.aclose()


async def test_chat_returns_the_answer_with_tokens_and_cost_from_the_provider(case: Case) -> None:
    case.api.enqueue(case.text("4", input_tokens=1000, output_tokens=200))
    response = await _chat(case, temperature=0.2, max_tokens=50)

    assert response.content == "4"  # type: ignore[attr-defined]
    assert (response.input_tokens, response.output_tokens) == (1000, 200)  # type: ignore[attr-defined]
    assert response.cost_usd == EXPECTED_COST[case.name]  # type: ignore[attr-defined]
    assert response.cost_known  # type: ignore[attr-defined]
    assert response.model == case.answered_model  # type: ignore[attr-defined]
    assert response.provider == case.name  # type: ignore[attr-defined]
    assert response.latency_ms > 0  # type: ignore[attr-defined]


async def test_chat_sends_the_messages_and_settings_in_the_provider_format(case: Case) -> None:
    case.api.enqueue(case.text("4"))
    await _chat(case, temperature=0.2, max_tokens=50)

    body = case.chat_requests()[-1].body
    if case.name == "anthropic":
        assert body["system"] == "Be brief."
        assert body["messages"] == [{"role": "user", "content": "What is 2 + 2?"}]
        assert (body["temperature"], body["max_tokens"]) == (0.2, 50)
    elif case.name == "ollama":
        assert body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert body["options"] == {"temperature": 0.2, "num_predict": 50}
        assert body["stream"] is False
    else:
        assert body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert (body["temperature"], body["max_tokens"]) == (0.2, 50)
    assert body["model"] == case.model.removeprefix("ollama/")


async def test_the_api_key_reaches_the_provider_the_way_its_sdk_sends_it(case: Case) -> None:
    case.api.enqueue(case.text("4"))
    await _chat(case)

    request = case.chat_requests()[-1]
    if case.name == "anthropic":
        # Older SDKs send `x-api-key`; the pinned one sends the key as a bearer token. Either reaches the API.
        assert (
            request.header("x-api-key") == "sk-ant-test"
            or request.header("authorization") == "Bearer sk-ant-test"
        )
        assert request.header("anthropic-version")
    elif case.name == "ollama":
        assert request.header("authorization") is None  # a local Ollama needs no key
    else:
        assert request.header("authorization") == f"Bearer {case.api_key}"


async def test_ollama_behind_a_proxy_gets_the_key_as_a_bearer_token(cases: dict[str, Case]) -> None:
    case = cases["ollama"]
    provider = create_provider(
        ProviderConfig("ollama", api_key="olk-proxy", base_url=case.url), egress=LOOPBACK_EGRESS
    )
    case.api.enqueue(ollama_wire.chat("hi"))
    await provider.chat(MESSAGES, model="llama3.1")
    await provider.aclose()
    assert case.api.last.header("authorization") == "Bearer olk-proxy"


async def test_tool_calls_come_back_parsed(case: Case) -> None:
    case.api.enqueue(case.tool_call("get_weather", {"city": "Oslo"}))
    response = await _chat(case, tools=[WEATHER])

    [call] = response.tool_calls  # type: ignore[attr-defined]
    assert (call.name, call.arguments) == ("get_weather", {"city": "Oslo"})
    assert call.id
    sent = case.chat_requests()[-1].body["tools"]
    if case.name == "anthropic":
        assert sent == [
            {"name": "get_weather", "description": WEATHER.description, "input_schema": WEATHER.parameters}
        ]
    else:
        assert sent[0]["function"]["name"] == "get_weather"
        assert sent[0]["function"]["parameters"] == WEATHER.parameters


async def test_json_schema_output_is_requested_natively(case: Case) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}}
    case.api.enqueue(case.text('{"answer": 4}'))
    response = await _chat(case, response_format=ResponseFormat(schema, name="sum"))

    assert response.content == '{"answer": 4}'  # type: ignore[attr-defined]
    body = case.chat_requests()[-1].body
    if case.name == "anthropic":
        assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    elif case.name == "ollama":
        assert body["format"] == schema
    else:
        assert body["response_format"]["json_schema"] == {"name": "sum", "schema": schema}


async def test_streaming_yields_text_then_one_end_with_usage(case: Case) -> None:
    case.api.enqueue(case.stream(["Two", " plus", " two", " is four."], input_tokens=1000, output_tokens=200))
    provider = create_provider(case.config, timeout=5, egress=LOOPBACK_EGRESS)
    events = [
        event async for event in provider.stream_chat(MESSAGES, model=case.model.removeprefix("ollama/"))
    ]
    await provider.aclose()

    deltas = [event.text for event in events if isinstance(event, TextDelta)]
    assert deltas == ["Two", " plus", " two", " is four."]
    assert isinstance(events[-1], StreamEnd)
    final = events[-1].response
    assert final.content == "Two plus two is four."
    assert (final.input_tokens, final.output_tokens) == (1000, 200)
    assert final.cost_usd == EXPECTED_COST[case.name]
    body = case.chat_requests()[-1].body
    assert body["stream"] is True
    if case.name in ("openai", "google"):
        assert body["stream_options"] == {"include_usage": True}


async def test_an_error_in_the_middle_of_a_stream_is_a_provider_error(case: Case) -> None:
    case.api.enqueue(case.stream(["Two", " plus"], fail_after=1))
    provider = create_provider(case.config, timeout=5, egress=LOOPBACK_EGRESS)
    received: list[str] = []

    async def consume() -> None:
        async for event in provider.stream_chat(MESSAGES, model=case.model.removeprefix("ollama/")):
            if isinstance(event, TextDelta):
                received.append(event.text)

    with pytest.raises(ProviderError) as caught:
        await consume()
    await provider.aclose()
    assert received == ["Two"]
    assert caught.value.provider == case.name
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, "bad_request", False),
        (401, "auth", False),
        (403, "auth", False),
        (404, "not_found", False),
        (422, "bad_request", False),
        (429, "rate_limit", True),
        (500, "server", True),
        (503, "server", True),
    ],
)
async def test_http_errors_are_classified_with_the_provider_message(
    case: Case, status: int, kind: str, retryable: bool
) -> None:
    case.api.enqueue(case.error(status, f"provider says {status}"))
    with pytest.raises(ProviderError) as caught:
        await _chat(case)
    error = caught.value
    assert (error.status_code, error.kind, error.retryable) == (status, kind, retryable)
    assert error.message == f"provider says {status}"
    assert error.provider == case.name
    assert len(case.chat_requests()) == 1  # the SDK did not retry on its own


async def test_anthropic_overloaded_529_is_retryable(cases: dict[str, Case]) -> None:
    case = cases["anthropic"]
    case.api.enqueue(case.error(529, "Overloaded"))
    with pytest.raises(ProviderError) as caught:
        await _chat(case)
    assert (caught.value.kind, caught.value.retryable, caught.value.message) == ("server", True, "Overloaded")


async def test_a_slow_provider_times_out_retryably(case: Case) -> None:
    case.api.enqueue(Reply(delay=3, body={}))
    provider = create_provider(case.config, timeout=0.3, egress=LOOPBACK_EGRESS)
    with pytest.raises(ProviderError) as caught:
        await provider.chat(MESSAGES, model=case.model.removeprefix("ollama/"))
    await provider.aclose()
    assert (caught.value.kind, caught.value.retryable) == ("timeout", True)


async def test_a_refused_connection_is_retryable(case: Case) -> None:
    dead = ProviderConfig(case.name, api_key="k", base_url=f"http://127.0.0.1:{free_port()}")
    provider = create_provider(dead, timeout=5, egress=LOOPBACK_EGRESS)
    with pytest.raises(ProviderError) as caught:
        await provider.chat(MESSAGES, model="any")
    await provider.aclose()
    assert (caught.value.kind, caught.value.retryable) == ("connection", True)


async def test_embeddings(case: Case) -> None:
    provider = create_provider(case.config, timeout=5, egress=LOOPBACK_EGRESS)
    models = {
        "openai": "text-embedding-3-small",
        "google": "gemini-embedding-001",
        "ollama": "nomic-embed-text",
    }
    try:
        if case.name == "anthropic":
            with pytest.raises(ProviderError) as caught:
                await provider.embed(["a"], model="claude-3-5-haiku-latest")
            assert (caught.value.kind, caught.value.retryable) == ("unsupported", False)
            return
        response = await provider.embed(["first text", "second text"], model=models[case.name])
    finally:
        await provider.aclose()
    assert len(response.vectors) == 2
    assert all(isinstance(value, float) for value in response.vectors[0])
    assert response.input_tokens > 0
    assert response.provider == case.name
    sent = case.api.last.body
    assert sent["input"] == ["first text", "second text"]
