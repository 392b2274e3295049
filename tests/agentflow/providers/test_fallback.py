"""The fallback chain: taken on rate limits, 5xx, timeouts, refused connections; never on a rejected call."""

from __future__ import annotations

import pytest

from agentflow.embedded.ports import free_port
from agentflow.nodes.ai.structured import classification_model
from agentflow.providers import (
    InMemoryCredentials,
    Message,
    ProviderConfig,
    ProviderError,
    Router,
    RoutingPolicy,
    StaticPolicies,
    StreamEnd,
    StructuredOutputError,
    TextDelta,
)
from tests.fakes.cases import LOOPBACK_EGRESS, Case
from tests.fakes.fixtures import ORG
from tests.fakes.loopback import Reply

MESSAGES = [Message("user", "Hello")]
PRIMARY, FALLBACK = "gpt-4o-mini", "claude-3-5-haiku-latest"


@pytest.fixture
def openai(cases: dict[str, Case]) -> Case:
    return cases["openai"]


@pytest.fixture
def anthropic(cases: dict[str, Case]) -> Case:
    return cases["anthropic"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (429, "openai 429 (rate_limit): too many requests"),
        (500, "openai 500 (server): too many requests"),
        (503, "openai 503 (server): too many requests"),
    ],
)
async def test_a_retryable_status_falls_back_to_the_next_model(
    router: Router, openai: Case, anthropic: Case, failure: int, expected: str
) -> None:
    openai.api.enqueue(openai.error(failure, "too many requests"))
    anthropic.api.enqueue(anthropic.text("hi from Claude", input_tokens=10, output_tokens=5))

    routed = await router.chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[FALLBACK])

    assert routed.result.content == "hi from Claude"
    assert routed.result.provider == "anthropic"
    attempts = [attempt.to_json() for attempt in routed.attempts]
    assert [(a["provider"], a["model"], a["status"], a["error"]) for a in attempts] == [
        ("openai", PRIMARY, "error", expected),
        ("anthropic", FALLBACK, "ok", None),
    ]
    assert all(a["latency_ms"] >= 0 for a in attempts)
    assert routed.usage.input_tokens == 10


async def test_a_timeout_falls_back(credentials: InMemoryCredentials, openai: Case, anthropic: Case) -> None:
    router = Router(credentials, egress=LOOPBACK_EGRESS, timeout_seconds=0.3)
    openai.api.enqueue(Reply(delay=3, body={}))
    routed = await router.chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[FALLBACK])
    await router.aclose()
    assert routed.result.provider == "anthropic"
    assert routed.attempts[0].error == "openai (timeout): the request timed out"


async def test_a_refused_connection_falls_back(credentials: InMemoryCredentials, anthropic: Case) -> None:
    credentials.set(
        ORG, ProviderConfig("openai", api_key="sk", base_url=f"http://127.0.0.1:{free_port()}/v1")
    )
    router = Router(credentials, egress=LOOPBACK_EGRESS)
    routed = await router.chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[FALLBACK])
    await router.aclose()
    assert routed.result.provider == "anthropic"
    assert routed.attempts[0].error is not None
    assert routed.attempts[0].error.startswith("openai (connection): could not connect")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_a_rejected_request_does_not_fall_back(
    router: Router, openai: Case, anthropic: Case, status: int
) -> None:
    openai.api.enqueue(openai.error(status, "you sent something wrong"))
    with pytest.raises(ProviderError) as caught:
        await router.chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[FALLBACK])

    assert caught.value.status_code == status
    assert caught.value.message == "you sent something wrong"
    assert [attempt.provider for attempt in caught.value.attempts] == ["openai"]
    assert anthropic.api.requests == []  # the fallback was never called


async def test_when_every_model_fails_the_last_error_carries_all_attempts(
    router: Router, cases: dict[str, Case]
) -> None:
    cases["openai"].api.enqueue(cases["openai"].error(429, "slow down"))
    cases["anthropic"].api.enqueue(cases["anthropic"].error(529, "Overloaded"))
    cases["google"].api.enqueue(cases["google"].error(503, "The model is overloaded."))
    with pytest.raises(ProviderError) as caught:
        await router.chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[FALLBACK, "gemini-2.0-flash"])

    assert caught.value.provider == "google"
    assert caught.value.message == "The model is overloaded."  # read from Gemini's list-wrapped error body
    assert caught.value.retryable  # the engine may retry the whole step later
    assert [(a.provider, a.status) for a in caught.value.attempts] == [
        ("openai", "error"),
        ("anthropic", "error"),
        ("google", "error"),
    ]


async def test_a_fallback_the_organization_has_not_configured_is_skipped(
    cases: dict[str, Case], openai: Case
) -> None:
    google = cases["google"]
    router = Router(
        InMemoryCredentials({ORG: [openai.config, google.config]}), egress=LOOPBACK_EGRESS
    )  # no Anthropic settings
    openai.api.enqueue(openai.error(500, "boom"))
    google.api.enqueue(google.text("hi from Gemini"))

    routed = await router.chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[FALLBACK, "gemini-2.0-flash"])
    await router.aclose()

    assert routed.result.content == "hi from Gemini"
    assert [(a.provider, a.status) for a in routed.attempts] == [
        ("openai", "error"),
        ("anthropic", "error"),
        ("google", "ok"),
    ]
    assert "no anthropic settings" in (routed.attempts[1].error or "")


async def test_streaming_falls_back_before_anything_was_streamed(
    router: Router, openai: Case, anthropic: Case
) -> None:
    openai.api.enqueue(openai.error(429, "slow down"))
    anthropic.api.enqueue(anthropic.stream(["Hel", "lo"]))
    stream = router.stream_chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[FALLBACK])
    events = [event async for event in stream]

    assert [event.text for event in events if isinstance(event, TextDelta)] == ["Hel", "lo"]
    assert isinstance(events[-1], StreamEnd)
    assert events[-1].response.provider == "anthropic"
    assert [(a.provider, a.status) for a in stream.attempts] == [("openai", "error"), ("anthropic", "ok")]


async def test_streaming_does_not_fall_back_once_text_was_streamed(
    router: Router, openai: Case, anthropic: Case
) -> None:
    openai.api.enqueue(openai.stream(["Hel", "lo"], fail_after=1))
    stream = router.stream_chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[FALLBACK])
    received: list[str] = []

    async def consume() -> None:
        async for event in stream:
            if isinstance(event, TextDelta):
                received.append(event.text)

    with pytest.raises(ProviderError):
        await consume()
    assert received == ["Hel"]
    assert anthropic.api.requests == []


async def test_an_answer_that_never_validates_does_not_fall_back(
    router: Router, openai: Case, anthropic: Case
) -> None:
    wrong = openai.structured("Classification", {"label": "nope", "confidence": 0.5})
    openai.api.enqueue(wrong, wrong, wrong)
    with pytest.raises(StructuredOutputError):
        await router.structured(
            ORG,
            MESSAGES,
            model=PRIMARY,
            response_model=classification_model(["a", "b"]),
            fallback_models=[FALLBACK],
        )
    assert anthropic.api.requests == []


async def test_tokens_spent_before_a_retryable_failure_add_to_the_fallback_usage(
    router: Router, openai: Case, anthropic: Case
) -> None:
    openai.api.enqueue(
        openai.structured(
            "Classification", {"label": "nope", "confidence": 0.5}, input_tokens=1000, output_tokens=200
        ),
        openai.error(500, "boom"),
    )
    anthropic.api.enqueue(
        anthropic.structured(
            "Classification", {"label": "a", "confidence": 0.5}, input_tokens=1000, output_tokens=200
        )
    )
    routed = await router.structured(
        ORG,
        MESSAGES,
        model=PRIMARY,
        response_model=classification_model(["a", "b"]),
        fallback_models=[FALLBACK],
    )
    assert routed.result.value.label == "a"
    assert (routed.usage.input_tokens, routed.usage.output_tokens) == (2000, 400)
    assert str(routed.usage.cost_usd) == "0.00187000"  # gpt-4o-mini 0.00027 + claude-3-5-haiku 0.0016


async def test_a_node_without_its_own_chain_falls_back_on_the_organizations_chain(
    credentials: InMemoryCredentials, openai: Case, anthropic: Case
) -> None:
    policies = StaticPolicies({ORG: RoutingPolicy(fallback_models=(FALLBACK,))})
    router = Router(credentials, egress=LOOPBACK_EGRESS, policies=policies)
    openai.api.enqueue(openai.error(429, "slow down"))
    anthropic.api.enqueue(anthropic.text("hi from Claude"))
    routed = await router.chat(ORG, MESSAGES, model=PRIMARY)
    assert routed.result.provider == "anthropic"

    # A node's own chain replaces the organization's.
    openai.api.enqueue(openai.error(429, "slow down"))
    with pytest.raises(ProviderError):
        await router.chat(ORG, MESSAGES, model=PRIMARY, fallback_models=[PRIMARY])
    await router.aclose()
    assert len(anthropic.api.requests) == 1
