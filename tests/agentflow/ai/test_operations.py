"""The AI node's operations on every provider: the output shape, usage, attempts, and failures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from agentflow.nodes.ai import operations
from agentflow.nodes.ai.errors import AIStepError
from agentflow.nodes.ai.model import AiConfig
from agentflow.providers import Router
from tests.fakes import openai_wire
from tests.fakes.cases import Case
from tests.fakes.fixtures import ORG

ONE_CALL = {
    "openai": Decimal("0.00027"),
    "google": Decimal("0.00018"),
    "anthropic": Decimal("0.0016"),
    "ollama": Decimal(0),
}
INVOICE_SCHEMA = {
    "type": "object",
    "properties": {"customer": {"type": "string"}, "total": {"type": "number", "minimum": 0}},
    "required": ["customer", "total"],
}


def config(case: Case, **fields: Any) -> AiConfig:
    return AiConfig.model_validate({"model": case.model, "prompt": "The app crashes on save.", **fields})


def expected_usage(case: Case, calls: int = 1) -> dict[str, Any]:
    return {
        "input_tokens": 1000 * calls,
        "output_tokens": 200 * calls,
        "cost_usd": float(ONE_CALL[case.name] * calls),
        "cost_known": True,
        "model": case.answered_model,
        "provider": case.name,
    }


async def test_chat(case: Case, router: Router) -> None:
    case.api.enqueue(case.text("Try saving again.", input_tokens=1000, output_tokens=200))
    result = await operations.chat(config(case, system="You are support."), router=router, org_id=ORG)

    assert result.output == {"text": "Try saving again.", "usage": expected_usage(case)}
    assert [(a["provider"], a["status"]) for a in result.provider_attempts] == [(case.name, "ok")]
    assert result.usage.cost_usd == ONE_CALL[case.name]


async def test_chat_with_tools_returns_the_calls(case: Case, router: Router) -> None:
    case.api.enqueue(
        case.tool_call("lookup_order", {"order_id": "A-17"}, input_tokens=1000, output_tokens=200)
    )
    tools = [
        {
            "name": "lookup_order",
            "description": "Find an order.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
        }
    ]
    result = await operations.chat(config(case, tools=tools), router=router, org_id=ORG)

    [call] = result.output["tool_calls"]
    assert (call["name"], call["arguments"]) == ("lookup_order", {"order_id": "A-17"})
    assert result.output["usage"] == expected_usage(case)


async def test_summarize_adds_its_instructions_to_the_system_message(case: Case, router: Router) -> None:
    case.api.enqueue(case.text("Saving crashes the app.", input_tokens=1000, output_tokens=200))
    result = await operations.summarize(config(case, system="Answer in English."), router=router, org_id=ORG)

    assert result.output == {"text": "Saving crashes the app.", "usage": expected_usage(case)}
    body = case.chat_requests()[-1].body
    system = body["system"] if case.name == "anthropic" else body["messages"][0]["content"]
    assert system.startswith("Summarize the text")
    assert system.endswith("Answer in English.")


async def test_classify(case: Case, router: Router) -> None:
    case.api.enqueue(
        case.structured(
            "Classification", {"label": "bug", "confidence": 0.92}, input_tokens=1000, output_tokens=200
        )
    )
    result = await operations.classify(
        config(case, operation="classify", labels=["bug", "question", "billing"]), router=router, org_id=ORG
    )
    assert result.output == {"label": "bug", "confidence": 0.92, "usage": expected_usage(case)}


async def test_classify_retries_a_label_outside_the_list(case: Case, router: Router) -> None:
    case.api.enqueue(
        case.structured(
            "Classification", {"label": "feature", "confidence": 0.9}, input_tokens=1000, output_tokens=200
        ),
        case.structured(
            "Classification", {"label": "question", "confidence": 0.6}, input_tokens=1000, output_tokens=200
        ),
    )
    result = await operations.classify(
        config(case, operation="classify", labels=["bug", "question"]), router=router, org_id=ORG
    )
    assert (result.output["label"], result.output["confidence"]) == ("question", 0.6)
    assert result.output["usage"] == expected_usage(case, calls=2)


async def test_extract(case: Case, router: Router) -> None:
    case.api.enqueue(
        case.structured(
            "Extraction", {"customer": "ACME", "total": 99.5}, input_tokens=1000, output_tokens=200
        )
    )
    result = await operations.extract(
        config(case, operation="extract", output_schema=INVOICE_SCHEMA), router=router, org_id=ORG
    )
    assert result.output == {"customer": "ACME", "total": 99.5, "usage": expected_usage(case)}


async def test_extract_that_never_validates_fails_the_step_with_the_reason(
    case: Case, router: Router
) -> None:
    garbage = case.structured(
        "Extraction", {"customer": "ACME", "total": -1}, input_tokens=1000, output_tokens=200
    )
    case.api.enqueue(garbage, garbage, garbage)
    with pytest.raises(AIStepError) as caught:
        await operations.extract(
            config(case, operation="extract", output_schema=INVOICE_SCHEMA), router=router, org_id=ORG
        )
    error = caught.value
    assert error.code == "output_validation"
    assert not error.retryable
    assert "after 3 attempts" in error.message
    assert "total: -1 is less than the minimum of 0" in error.message
    assert error.usage.cost_usd == 3 * ONE_CALL[case.name]  # the step still records what it cost
    assert error.provider_attempts[0]["status"] == "error"


async def test_a_provider_failure_is_a_step_error_saying_whether_a_retry_may_help(
    cases: dict[str, Case], router: Router
) -> None:
    case = cases["openai"]
    case.api.enqueue(case.error(429, "Rate limit reached"))
    with pytest.raises(AIStepError) as caught:
        await operations.chat(config(case), router=router, org_id=ORG)
    assert (caught.value.code, caught.value.retryable) == ("rate_limit", True)
    assert caught.value.message == "openai 429 (rate_limit): Rate limit reached"

    case.api.enqueue(case.error(401, "Incorrect API key provided"))
    with pytest.raises(AIStepError) as caught:
        await operations.chat(config(case), router=router, org_id=ORG)
    assert (caught.value.code, caught.value.retryable) == ("auth", False)


async def test_config_errors_fail_before_any_call(cases: dict[str, Case], router: Router) -> None:
    case = cases["openai"]
    with pytest.raises(AIStepError, match="at least two labels"):
        await operations.classify(
            config(case, operation="classify", labels=["bug"]), router=router, org_id=ORG
        )
    with pytest.raises(AIStepError, match="not a valid JSON Schema"):
        await operations.extract(
            config(
                case, operation="extract", output_schema={"type": "object", "properties": {"a": {"type": 7}}}
            ),
            router=router,
            org_id=ORG,
        )
    assert case.api.requests == []


async def test_an_unpriced_model_costs_zero_and_says_so(cases: dict[str, Case], router: Router) -> None:
    case = cases["openai"]  # e.g. a fine-tune on a vLLM server reached through the openai provider
    case.api.enqueue(
        openai_wire.completion("hi", model="my-finetune", prompt_tokens=1000, completion_tokens=200)
    )
    result = await operations.chat(
        AiConfig(model="openai/my-finetune", prompt="hi"), router=router, org_id=ORG
    )

    usage = result.output["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (1000, 200)
    assert (usage["cost_usd"], usage["cost_known"]) == (0, False)
