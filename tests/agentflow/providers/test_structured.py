"""Structured output through instructor: validation retries, never-valid answers, and the tokens they cost."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from agentflow.nodes.ai.structured import classification_model, extraction_model
from agentflow.providers import Message, ProviderError, Router, StructuredOutputError
from tests.fakes.cases import Case
from tests.fakes.fixtures import ORG

MESSAGES = [Message("user", "The app crashes when I click save.")]
LABELS = classification_model(["bug", "question", "billing"])
# One call of 1000 input + 200 output tokens at the case model's price.
ONE_CALL = {
    "openai": Decimal("0.00027"),
    "google": Decimal("0.00018"),
    "anthropic": Decimal("0.0016"),
    "ollama": Decimal(0),
}


async def test_an_invalid_answer_is_asked_again_and_every_call_is_counted(case: Case, router: Router) -> None:
    case.api.enqueue(
        case.structured(
            "Classification", {"label": "feature", "confidence": 0.9}, input_tokens=1000, output_tokens=200
        ),
        case.structured(
            "Classification", {"label": "bug", "confidence": 0.8}, input_tokens=1000, output_tokens=200
        ),
    )
    routed = await router.structured(ORG, MESSAGES, model=case.model, response_model=LABELS)

    answer = routed.result
    assert (answer.value.label, answer.value.confidence) == ("bug", 0.8)
    assert answer.calls == 2
    assert (routed.usage.input_tokens, routed.usage.output_tokens) == (2000, 400)
    assert routed.usage.cost_usd == 2 * ONE_CALL[case.name]
    requests = case.structured_requests()
    assert len(requests) == 2
    # The second request tells the model what was wrong with the first answer.
    assert "feature" in str(requests[1].body["messages"])
    assert [attempt.status for attempt in routed.attempts] == ["ok"]


async def test_an_answer_that_never_validates_fails_clearly_after_the_retries(
    case: Case, router: Router
) -> None:
    wrong = case.structured(
        "Classification", {"label": "feature", "confidence": 0.9}, input_tokens=1000, output_tokens=200
    )
    case.api.enqueue(wrong, wrong, wrong, wrong)
    with pytest.raises(StructuredOutputError) as caught:
        await router.structured(ORG, MESSAGES, model=case.model, response_model=LABELS, validation_retries=2)

    error = caught.value
    assert "did not match the required shape after 3 attempts" in error.message
    assert "label: Input should be 'bug', 'question' or 'billing'" in error.message
    assert "errors.pydantic.dev" not in error.message
    assert error.calls == 3
    assert error.usage.cost_usd == 3 * ONE_CALL[case.name]
    assert "feature" in (error.last_output or "")
    assert len(case.structured_requests()) == 3
    assert [attempt.status for attempt in error.attempts] == ["error"]


async def test_validation_retries_are_configurable(case: Case, router: Router) -> None:
    case.api.enqueue(case.structured("Classification", {"label": "feature", "confidence": 2}))
    with pytest.raises(StructuredOutputError) as caught:
        await router.structured(ORG, MESSAGES, model=case.model, response_model=LABELS, validation_retries=0)
    assert caught.value.calls == 1
    assert "confidence: Input should be less than or equal to 1" in caught.value.message


@pytest.mark.parametrize("broken", ['{"label": "bug", "confidence": 0.9', "I think it is a bug."])
async def test_an_answer_that_is_not_json_is_asked_again(
    cases: dict[str, Case], router: Router, broken: str
) -> None:
    for name in ("openai", "google", "ollama"):  # Anthropic's tool input is always an object
        case = cases[name]
        case.api.enqueue(
            case.structured("Classification", broken),
            case.structured("Classification", {"label": "bug", "confidence": 0.9}),
        )
        routed = await router.structured(ORG, MESSAGES, model=case.model, response_model=LABELS)
        assert routed.result.value.label == "bug"
        assert routed.result.calls == 2


async def test_extraction_validates_against_the_json_schema(case: Case, router: Router) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "amount": {"type": "number", "minimum": 0},
            "currency": {"enum": ["EUR", "USD"]},
        },
        "required": ["name", "amount"],
    }
    case.api.enqueue(
        case.structured("Extraction", {"name": "ACME", "amount": -5, "currency": "GBP"}),
        case.structured("Extraction", {"name": "ACME", "amount": 120.5, "currency": "EUR"}),
    )
    routed = await router.structured(ORG, MESSAGES, model=case.model, response_model=extraction_model(schema))

    assert routed.result.value.model_dump() == {"name": "ACME", "amount": 120.5, "currency": "EUR"}
    feedback = str(case.structured_requests()[1].body["messages"])
    assert "amount: -5 is less than the minimum of 0" in feedback
    assert "currency: 'GBP' is not one of ['EUR', 'USD']" in feedback
    # The model is shown the node's schema itself.
    first = case.structured_requests()[0].body
    if case.name == "anthropic":
        shown = first["tools"][0]["input_schema"]
    elif case.name == "ollama":
        shown = first["response_format"]["json_schema"]["schema"]
    else:
        shown = first["tools"][0]["function"]["parameters"]
    assert shown["properties"] == schema["properties"]
    assert sorted(shown["required"]) == ["amount", "name"]


async def test_a_provider_error_during_structured_output_is_a_provider_error(
    case: Case, router: Router
) -> None:
    case.api.enqueue(case.structured_error(429, "slow down"))
    with pytest.raises(ProviderError) as caught:
        await router.structured(ORG, MESSAGES, model=case.model, response_model=LABELS)
    assert (caught.value.kind, caught.value.retryable, caught.value.message) == (
        "rate_limit",
        True,
        "slow down",
    )


async def test_tokens_of_an_invalid_answer_stay_counted_when_the_retry_call_fails(
    cases: dict[str, Case], router: Router
) -> None:
    case = cases["openai"]
    case.api.enqueue(
        case.structured(
            "Classification", {"label": "feature", "confidence": 0.5}, input_tokens=1000, output_tokens=200
        ),
        case.error(400, "context length exceeded"),
    )
    with pytest.raises(ProviderError) as caught:
        await router.structured(ORG, MESSAGES, model=case.model, response_model=LABELS)
    assert caught.value.kind == "bad_request"
    assert caught.value.usage.cost_usd == ONE_CALL["openai"]
    assert caught.value.usage.input_tokens == 1000


async def test_concurrent_calls_on_one_client_keep_their_own_usage(
    cases: dict[str, Case], router: Router
) -> None:
    case = cases["openai"]
    case.api.enqueue(
        case.structured(
            "Classification", {"label": "bug", "confidence": 0.5}, input_tokens=100, output_tokens=1
        ),
        case.structured(
            "Classification", {"label": "bug", "confidence": 0.5}, input_tokens=300, output_tokens=3
        ),
    )
    first, second = await asyncio.gather(
        router.structured(ORG, MESSAGES, model=case.model, response_model=LABELS),
        router.structured(ORG, MESSAGES, model=case.model, response_model=LABELS),
    )
    assert sorted([first.usage.input_tokens, second.usage.input_tokens]) == [100, 300]
    assert first.result.calls == second.result.calls == 1


def test_extraction_schema_patterns_run_in_linear_time() -> None:
    model = extraction_model(
        {"type": "object", "properties": {"id": {"type": "string", "pattern": "^(a+)+$"}}}
    )
    with pytest.raises(ValueError, match="does not match"):
        model.model_validate({"id": "a" * 5000 + "b"})
    assert model.model_validate({"id": "aaaa"}).model_extra == {"id": "aaaa"}
