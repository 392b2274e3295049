"""What the tool-conversation tests share: the tools, the question, scripted calls, a provider per case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agentflow.providers import (
    LLMProvider,
    LLMResponse,
    Message,
    ToolSpec,
)
from agentflow.providers.base import ToolCall
from agentflow.providers.registry import create_provider
from tests.fakes.cases import LOOPBACK_EGRESS, Case
from tests.fakes.checked_wire import CheckedAPI
from tests.fakes.loopback import Recorded

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}},
)
TIME = ToolSpec(
    "get_time", "Local time in a city.", {"type": "object", "properties": {"city": {"type": "string"}}}
)
TOOLS = [WEATHER, TIME]
QUESTION = [Message("system", "Be brief."), Message("user", "Weather and time in Oslo?")]
CALLS = [("call_w1", "get_weather", {"city": "Oslo"}), ("call_t1", "get_time", {"city": "Oslo"})]
FINAL = "It is 12°C and 14:05 in Oslo."


@asynccontextmanager
async def connected(case: Case) -> AsyncIterator[LLMProvider]:
    provider = create_provider(case.config, timeout=5, egress=LOOPBACK_EGRESS)
    try:
        yield provider
    finally:
        await provider.aclose()


def rejected(case: Case) -> list[Recorded]:
    """The requests the case's fake refused."""
    assert isinstance(case.api, CheckedAPI)
    return case.api.rejected


def model_of(case: Case) -> str:
    return case.model.removeprefix("ollama/")


def results_for(first: LLMResponse) -> list[Message]:
    """The conversation after round one: the assistant's turn as it came, then one result per call."""
    outputs = {"get_weather": "12°C, cloudy", "get_time": "14:05"}
    return [
        Message("assistant", first.content, tool_calls=first.tool_calls),
        *(
            Message("tool", outputs[call.name], tool_call_id=call.id, name=call.name)
            for call in first.tool_calls
        ),
    ]


TWO_CALLS = tuple(ToolCall(call_id, name, arguments) for call_id, name, arguments in CALLS)
