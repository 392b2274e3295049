"""Tool-calling conversations through each provider's SDK: one `Message` list, each provider's wire format.

The fakes refuse a conversation the way the real APIs do, so a conversion that only looks right fails here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentflow.providers import (
    Message,
    Router,
    StreamEnd,
)
from agentflow.providers.base import ToolCall
from tests.agentflow.providers.conversations import (
    CALLS,
    FINAL,
    QUESTION,
    TOOLS,
    connected,
    model_of,
    rejected,
    results_for,
)
from tests.fakes import ollama_wire, openai_wire
from tests.fakes.cases import Case
from tests.fakes.fixtures import ORG


def expected_round_two(case: Case, calls: Sequence[ToolCall]) -> dict[str, Any]:
    """The second request's conversation, exactly as the provider's API documents it."""
    weather, time = calls
    if case.name == "anthropic":
        return {
            "system": "Be brief.",
            "messages": [
                {"role": "user", "content": "Weather and time in Oslo?"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Let me look both up."},
                        {
                            "type": "tool_use",
                            "id": "call_w1",
                            "name": "get_weather",
                            "input": {"city": "Oslo"},
                        },
                        {"type": "tool_use", "id": "call_t1", "name": "get_time", "input": {"city": "Oslo"}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "call_w1",
                            "content": "12°C, cloudy",
                            "is_error": False,
                        },
                        {
                            "type": "tool_result",
                            "tool_use_id": "call_t1",
                            "content": "14:05",
                            "is_error": False,
                        },
                    ],
                },
            ],
        }
    if case.name == "ollama":
        return {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Weather and time in Oslo?"},
                {
                    "role": "assistant",
                    "content": "Let me look both up.",
                    "tool_calls": [
                        {"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
                        {"function": {"name": "get_time", "arguments": {"city": "Oslo"}}},
                    ],
                },
                {"role": "tool", "content": "12°C, cloudy", "tool_name": "get_weather"},
                {"role": "tool", "content": "14:05", "tool_name": "get_time"},
            ]
        }
    first_call: dict[str, Any] = {
        "id": "call_w1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
    }
    if case.name == "google":  # Gemini's signature goes back with the call it came with
        first_call["extra_content"] = {"google": {"thought_signature": "sig-gemini-1"}}

    def named(tool: str) -> dict[str, str]:  # Gemini wants each result's tool named; OpenAI takes no name
        return {"name": tool} if case.name == "google" else {}

    return {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather and time in Oslo?"},
            {
                "role": "assistant",
                "content": "Let me look both up.",
                "tool_calls": [
                    first_call,
                    {
                        "id": "call_t1",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": '{"city": "Oslo"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": weather.id, "content": "12°C, cloudy", **named("get_weather")},
            {"role": "tool", "tool_call_id": time.id, "content": "14:05", **named("get_time")},
        ]
    }


async def test_two_rounds_parallel_calls_then_a_final_answer(case: Case) -> None:
    case.api.enqueue(
        case.tool_calls(CALLS, text="Let me look both up.", signature="sig-gemini-1"), case.text(FINAL)
    )
    async with connected(case) as provider:
        first = await provider.chat(QUESTION, model=model_of(case), tools=TOOLS)
        conversation = [*QUESTION, *results_for(first)]
        final = await provider.chat(conversation, model=model_of(case), tools=TOOLS)

    assert [(call.name, call.arguments) for call in first.tool_calls] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_time", {"city": "Oslo"}),
    ]
    assert len({call.id for call in first.tool_calls}) == 2  # Ollama sends none: each call gets its own
    assert first.finish_reason == {"anthropic": "tool_use", "ollama": "stop"}.get(case.name, "tool_calls")
    assert (final.content, final.tool_calls) == (FINAL, ())
    assert final.finish_reason == {"anthropic": "end_turn"}.get(case.name, "stop")

    sent = case.chat_requests()[-1].body
    expected = expected_round_two(case, first.tool_calls)
    assert {key: sent.get(key) for key in expected} == expected
    assert [
        tool["name"] if case.name == "anthropic" else tool["function"]["name"] for tool in sent["tools"]
    ] == [
        "get_weather",
        "get_time",
    ]
    assert rejected(case) == []


async def test_a_failed_tool_is_reported_in_the_provider_shape(case: Case) -> None:
    case.api.enqueue(case.tool_calls(CALLS[:1], signature="sig-gemini-1"), case.text("Sorry, no weather."))
    async with connected(case) as provider:
        first = await provider.chat(QUESTION, model=model_of(case), tools=TOOLS)
        [call] = first.tool_calls
        failure = Message(
            "tool", "the weather service answered 503", tool_call_id=call.id, name=call.name, is_error=True
        )
        await provider.chat(
            [*QUESTION, Message("assistant", "", tool_calls=first.tool_calls), failure],
            model=model_of(case),
            tools=TOOLS,
        )

    last = case.chat_requests()[-1].body["messages"][-1]
    if case.name == "anthropic":  # the only API with an error flag on a result
        assert last == {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": call.id,
                    "content": "the weather service answered 503",
                    "is_error": True,
                }
            ],
        }
    elif case.name == "ollama":
        assert last == {
            "role": "tool",
            "content": "the weather service answered 503",
            "tool_name": "get_weather",
        }
    else:
        assert last == {
            "role": "tool",
            "tool_call_id": call.id,
            "content": "the weather service answered 503",
            **({"name": "get_weather"} if case.name == "google" else {}),
        }
    assistant = case.chat_requests()[-1].body["messages"][-2]
    if case.name in ("openai", "google"):  # a turn that only calls tools has no text
        assert assistant["content"] is None
    elif case.name == "anthropic":  # and Anthropic refuses empty text blocks
        assert [block["type"] for block in assistant["content"]] == ["tool_use"]


async def test_a_tool_conversation_streams_in_the_same_format(case: Case) -> None:
    calls = (ToolCall("call_w1", "get_weather", {"city": "Oslo"}, '{"city": "Oslo"}'),)
    conversation = [
        *QUESTION,
        Message("assistant", "", tool_calls=calls),
        Message("tool", "12°C, cloudy", tool_call_id="call_w1", name="get_weather"),
    ]
    case.api.enqueue(case.stream(["It is ", "12°C."]))
    async with connected(case) as provider:
        events = [event async for event in provider.stream_chat(conversation, model=model_of(case))]

    assert isinstance(events[-1], StreamEnd) and events[-1].response.content == "It is 12°C."
    sent = case.chat_requests()[-1].body["messages"]
    roles = [message["role"] for message in sent]
    assert roles == (
        ["user", "assistant", "user"] if case.name == "anthropic" else ["system", "user", "assistant", "tool"]
    )


async def test_a_tool_conversation_survives_a_fallback_from_openai_to_anthropic(
    router: Router, cases: dict[str, Case]
) -> None:
    openai_case, anthropic_case = cases["openai"], cases["anthropic"]
    openai_case.api.enqueue(openai_case.tool_calls(CALLS), openai_case.error(500, "The server had an error"))
    anthropic_case.api.enqueue(anthropic_case.text(FINAL))

    first = await router.chat(ORG, QUESTION, model="gpt-4o-mini", tools=TOOLS)
    conversation = [*QUESTION, *results_for(first.result)]
    final = await router.chat(
        ORG, conversation, model="gpt-4o-mini", fallback_models=["claude-3-5-haiku-latest"], tools=TOOLS
    )

    assert (final.result.provider, final.result.content) == ("anthropic", FINAL)
    assert [(a.provider, a.status) for a in final.attempts] == [("openai", "error"), ("anthropic", "ok")]
    sent = anthropic_case.chat_requests()[-1].body
    assert sent["system"] == "Be brief."
    assert [block["id"] for block in sent["messages"][1]["content"]] == ["call_w1", "call_t1"]
    assert [block["tool_use_id"] for block in sent["messages"][2]["content"]] == ["call_w1", "call_t1"]
    assert rejected(anthropic_case) == []


async def test_after_a_fallback_gemini_3_gets_the_placeholder_signature(
    router: Router, cases: dict[str, Case]
) -> None:
    """Gemini 3 refuses calls without a thought signature; calls Claude made have none."""
    claude, gemini = cases["anthropic"], cases["google"]
    claude.api.enqueue(claude.tool_calls(CALLS), claude.error(529, "Overloaded"))
    gemini.api.enqueue(gemini.text(FINAL))

    first = await router.chat(ORG, QUESTION, model="claude-3-5-haiku-latest", tools=TOOLS)
    conversation = [*QUESTION, *results_for(first.result)]
    final = await router.chat(
        ORG,
        conversation,
        model="claude-3-5-haiku-latest",
        fallback_models=["gemini-3-pro-preview"],
        tools=TOOLS,
    )

    assert final.result.provider == "google"
    [_, _, assistant, *_] = gemini.chat_requests()[-1].body["messages"]
    assert [call.get("extra_content") for call in assistant["tool_calls"]] == [
        {"google": {"thought_signature": "skip_thought_signature_validator"}},
        None,
    ]
    assert rejected(gemini) == []


async def test_ids_anthropic_would_refuse_are_made_safe_on_both_sides(cases: dict[str, Case]) -> None:
    case = cases["anthropic"]
    calls = (ToolCall("fc.7:weather", "get_weather", {"city": "Oslo"}),)
    case.api.enqueue(case.text(FINAL))
    async with connected(case) as provider:
        await provider.chat(
            [
                *QUESTION,
                Message("assistant", "", tool_calls=calls),
                Message("tool", "12°C", tool_call_id="fc.7:weather", name="get_weather"),
                Message("user", "And tomorrow?"),
            ],
            model=case.model,
        )

    messages = case.chat_requests()[-1].body["messages"]
    assert messages[1]["content"][0]["id"] == "fc_7_weather"
    # The result and the next user message are one turn, the result first.
    assert messages[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "fc_7_weather", "content": "12°C", "is_error": False},
        {"type": "text", "text": "And tomorrow?"},
    ]


async def test_ids_a_server_repeats_across_rounds_stay_unique_for_anthropic(cases: dict[str, Case]) -> None:
    """Some compatible servers number calls from `call_0` in every answer; Anthropic refuses repeated ids."""
    case = cases["anthropic"]
    rounds = [
        (
            ToolCall("call_0", "get_weather", {"city": "Oslo"}),
            ToolCall("call_1", "get_time", {"city": "Oslo"}),
        ),
        (ToolCall("call_0", "get_weather", {"city": "Bergen"}),),
    ]
    conversation = [*QUESTION]
    for calls in rounds:
        conversation.append(Message("assistant", "", tool_calls=calls))
        conversation += [
            Message("tool", f"result of {c.arguments['city']}", tool_call_id=c.id) for c in calls
        ]
    case.api.enqueue(case.text(FINAL))
    async with connected(case) as provider:
        assert (await provider.chat(conversation, model=case.model, tools=TOOLS)).content == FINAL

    messages = case.chat_requests()[-1].body["messages"]
    assert [block["id"] for block in messages[1]["content"]] == ["call_0", "call_1"]
    assert [block["id"] for block in messages[3]["content"]] == ["call_0_2"]
    assert [(b["tool_use_id"], b["content"]) for b in messages[4]["content"]] == [
        ("call_0_2", "result of Bergen")
    ]
    assert rejected(case) == []


async def test_arguments_that_did_not_parse_keep_their_raw_text(cases: dict[str, Case]) -> None:
    case = cases["openai"]
    case.api.enqueue(
        openai_wire.completion(None, tool_calls=[openai_wire.tool_call("get_weather", '{"city": "Os')]),
        case.text("Which city?"),
    )
    async with connected(case) as provider:
        first = await provider.chat(QUESTION, model=case.model, tools=TOOLS)
        [call] = first.tool_calls
        assert (call.arguments, call.raw_arguments) == ({}, '{"city": "Os')
        await provider.chat(
            [
                *QUESTION,
                Message("assistant", "", tool_calls=first.tool_calls),
                Message(
                    "tool", "arguments are not JSON", tool_call_id=call.id, name=call.name, is_error=True
                ),
            ],
            model=case.model,
        )
    assistant = case.chat_requests()[-1].body["messages"][2]
    assert assistant["tool_calls"][0]["function"]["arguments"] == "{}"  # what was understood, as JSON


async def test_ollama_arguments_sent_as_a_string_keep_their_raw_text(cases: dict[str, Case]) -> None:
    case = cases["ollama"]
    case.api.enqueue(
        ollama_wire.chat("", tool_calls=[{"function": {"name": "get_weather", "arguments": "{oops"}}])
    )
    async with connected(case) as provider:
        response = await provider.chat(QUESTION, model="llama3.1", tools=TOOLS)
    [call] = response.tool_calls
    assert (call.arguments, call.raw_arguments) == ({}, "{oops")
    assert call.id.startswith("call_")
