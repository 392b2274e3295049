"""Tool conversations the real APIs refuse: the fakes refuse them alike, and the provider reports the API's
own words as a non-retryable bad request (a fallback would be refused the same way)."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import openai
import pytest

from agentflow.providers import (
    Message,
    ProviderError,
)
from tests.agentflow.providers.conversations import (
    FINAL,
    QUESTION,
    TOOLS,
    TWO_CALLS,
    connected,
    model_of,
    rejected,
)
from tests.fakes import openai_wire
from tests.fakes.cases import Case


async def bad_request(case: Case, conversation: list[Message]) -> ProviderError:
    async with connected(case) as provider:
        with pytest.raises(ProviderError) as caught:
            await provider.chat(conversation, model=model_of(case), tools=TOOLS)
    assert (caught.value.kind, caught.value.status_code, caught.value.retryable) == (
        "bad_request",
        400,
        False,
    )
    return caught.value


@pytest.mark.parametrize("name", ["openai", "google"])
async def test_openai_refuses_a_call_left_unanswered(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    case.api.enqueue(case.text("never sent"))
    error = await bad_request(
        case,
        [
            *QUESTION,
            Message("assistant", "", tool_calls=TWO_CALLS),
            Message("tool", "12°C", tool_call_id="call_w1"),
        ],
    )
    assert "The following tool_call_ids did not have response messages: call_t1" in error.message
    assert rejected(case) and case.api.requests == rejected(case)
    # The scripted reply is still there for the next, valid request.
    async with connected(case) as provider:
        assert (await provider.chat(QUESTION, model=model_of(case))).content == "never sent"


async def test_openai_refuses_a_result_without_its_call(cases: dict[str, Case]) -> None:
    error = await bad_request(cases["openai"], [*QUESTION, Message("tool", "12°C", tool_call_id="call_w1")])
    assert (
        "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'"
        in error.message
    )


async def test_anthropic_refuses_a_result_for_an_unknown_call(cases: dict[str, Case]) -> None:
    error = await bad_request(
        cases["anthropic"],
        [
            *QUESTION,
            Message("assistant", "", tool_calls=TWO_CALLS[:1]),
            Message("tool", "12°C", tool_call_id="call_w1"),
            Message("tool", "14:05", tool_call_id="call_zz"),
        ],
    )
    assert "unexpected `tool_use_id` found in `tool_result` blocks: call_zz" in error.message


async def test_anthropic_refuses_what_the_converter_never_sends(cases: dict[str, Case]) -> None:
    """Turns that do not alternate, results after text, a call left unanswered (the raw SDK)."""
    case = cases["anthropic"]
    client = anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=case.url, max_retries=0)
    use = {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "toolu_a", "content": "12°C"}
    refused: dict[str, Any] = {
        'multiple "user" roles in a row': [
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
        ],
        "Did not find 1 `tool_result` block(s) at the beginning of this message": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": [{"type": "text", "text": "here"}, result]},
        ],
        "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_a": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": "go on"},
        ],
        "`tool_use` ids must be unique": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": [result]},
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": [result]},
        ],
        'Unexpected role "system"': [{"role": "system", "content": "a"}, {"role": "user", "content": "b"}],
    }
    try:
        for message, messages in refused.items():
            with pytest.raises(anthropic.BadRequestError) as caught:
                await client.messages.create(model=case.model, max_tokens=10, messages=messages)
            assert message in caught.value.message
            assert caught.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    finally:
        await client.close()


async def test_gemini_3_refuses_a_call_without_its_signature(cases: dict[str, Case]) -> None:
    case = cases["google"]
    client = openai.AsyncOpenAI(api_key="AIza-test-google", base_url=case.config.base_url, max_retries=0)
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [openai_wire.tool_call("get_weather", {"city": "Oslo"})],
        },
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "12°C"},
    ]
    try:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(model="gemini-3-pro-preview", messages=messages)  # type: ignore[arg-type]
        # An older model takes the same conversation.
        await client.chat.completions.create(model="gemini-2.5-flash", messages=messages)  # type: ignore[arg-type]
        # No model takes a result that does not name its tool.
        del messages[2]["name"]
        with pytest.raises(openai.BadRequestError) as unnamed:
            await client.chat.completions.create(model="gemini-2.5-flash", messages=messages)  # type: ignore[arg-type]
    finally:
        await client.close()
    assert caught.value.status_code == 400
    assert caught.value.body[0]["error"]["status"] == "INVALID_ARGUMENT"  # type: ignore[index]
    assert "missing a thought_signature" in caught.value.body[0]["error"]["message"]  # type: ignore[index]
    assert unnamed.value.body[0]["error"]["message"] == "Request contains an invalid argument."  # type: ignore[index]


async def test_gemini_results_are_named_after_their_call_when_the_message_names_none(
    cases: dict[str, Case],
) -> None:
    case = cases["google"]
    case.api.enqueue(case.text(FINAL))
    async with connected(case) as provider:
        await provider.chat(
            [
                *QUESTION,
                Message("assistant", "", tool_calls=TWO_CALLS),
                Message("tool", "12°C", tool_call_id="call_w1"),
                Message("tool", "14:05", tool_call_id="call_t1"),
            ],
            model=case.model,
        )
    sent = case.chat_requests()[-1].body["messages"]
    assert [(m["tool_call_id"], m["name"]) for m in sent[3:]] == [
        ("call_w1", "get_weather"),
        ("call_t1", "get_time"),
    ]
    assert rejected(case) == []


async def test_ollama_takes_tool_results_and_refuses_string_arguments(cases: dict[str, Case]) -> None:
    case = cases["ollama"]
    case.api.enqueue(case.text(FINAL))
    async with connected(case) as provider:
        answer = await provider.chat(
            [
                *QUESTION,
                Message("assistant", "", tool_calls=TWO_CALLS[:1]),
                Message("tool", "12°C", name="get_weather"),
            ],
            model="llama3.1",
        )
    assert answer.content == FINAL

    async with httpx.AsyncClient(base_url=case.url) as client:
        response = await client.post(
            "/api/chat",
            json={
                "model": "llama3.1",
                "stream": False,
                "messages": [
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}],
                    }
                ],
            },
        )
    assert response.status_code == 400
    assert "cannot unmarshal string" in response.json()["error"]
