"""`AINodeHandler`: rendering references, masking secrets in what is stored, budgets, streaming, fallback."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from agentflow.nodes.ai.errors import AIStepError
from agentflow.nodes.ai.step import AINodeHandler, StepContext
from agentflow.providers import InMemoryCredentials, Router
from agentflow.templating import build_context
from tests.fakes.cases import LOOPBACK_EGRESS, Case
from tests.fakes.fixtures import ORG
from tests.fakes.loopback import Reply

HANDLER = AINodeHandler()
TICKET = {"body": {"title": "Crash on save", "text": "The app crashes when I click save."}}


def context(**env: str) -> dict[str, object]:
    return build_context({"start": TICKET}, trigger_id="start", env=env, execution_id="exec-1")


async def test_the_prompt_is_rendered_and_stored_with_secrets_masked(
    cases: dict[str, Case], router: Router
) -> None:
    case = cases["openai"]
    case.api.enqueue(case.text("It is a bug."))
    config = {
        "operation": "chat",
        "model": "gpt-4o-mini",
        "system": "Internal ticket key {{env.TRACKER_TOKEN}}.",
        "prompt": "Ticket: {{trigger.output.body.title}}: {{start.output.body.text}}",
    }
    ctx = StepContext(org_id=ORG, router=router, template_context=context(TRACKER_TOKEN="tok-very-secret"))
    result = await HANDLER.run(config, ctx)

    sent = case.chat_requests()[-1].body["messages"]
    assert sent == [
        {"role": "system", "content": "Internal ticket key tok-very-secret."},  # the provider needs the value
        {"role": "user", "content": "Ticket: Crash on save: The app crashes when I click save."},
    ]
    assert result.rendered == {
        "prompt": "Ticket: Crash on save: The app crashes when I click save.",
        "system": "Internal ticket key ••••••.",  # the step record never holds it
    }
    assert result.output["text"] == "It is a bug."
    assert result.provider_attempts[0]["status"] == "ok"


async def test_a_lone_reference_to_an_object_is_sent_as_json(cases: dict[str, Case], router: Router) -> None:
    case = cases["anthropic"]
    case.api.enqueue(case.text("ok"))
    config = {"model": "claude-3-5-haiku-latest", "prompt": "{{start.output.body}}"}
    result = await HANDLER.run(config, StepContext(org_id=ORG, router=router, template_context=context()))
    assert (
        result.rendered["prompt"]
        == '{"title": "Crash on save", "text": "The app crashes when I click save."}'
    )


async def test_a_reference_that_does_not_resolve_fails_the_step_without_a_call(
    cases: dict[str, Case], router: Router
) -> None:
    config = {"model": "gpt-4o-mini", "prompt": "{{start.output.body.missing}}"}
    with pytest.raises(AIStepError) as caught:
        await HANDLER.run(config, StepContext(org_id=ORG, router=router, template_context=context()))
    assert caught.value.code == "template"
    assert not caught.value.retryable
    assert "has no key 'missing'" in caught.value.message
    assert cases["openai"].api.requests == []


async def test_labels_are_rendered_too(cases: dict[str, Case], router: Router) -> None:
    case = cases["google"]
    case.api.enqueue(case.structured("Classification", {"label": "Crash on save", "confidence": 1}))
    config = {
        "operation": "classify",
        "model": "gemini-2.0-flash",
        "prompt": "{{start.output.body.text}}",
        "labels": ["{{start.output.body.title}}", "other"],
    }
    result = await HANDLER.run(config, StepContext(org_id=ORG, router=router, template_context=context()))
    assert result.output["label"] == "Crash on save"


async def test_the_step_time_budget_caps_the_call_and_a_timeout_is_retryable(
    cases: dict[str, Case], credentials: InMemoryCredentials
) -> None:
    # The provider answers only after an hour and the router's own timeout is an hour too: nothing but the
    # step's 0.3 s budget can end this call (without it the test would hang until pytest's timeout).
    cases["openai"].api.enqueue(Reply(delay=3600, body={}))
    router = Router(credentials, egress=LOOPBACK_EGRESS, timeout_seconds=3600)
    try:
        ctx = StepContext(org_id=ORG, router=router, deadline=time.monotonic() + 0.3)
        with pytest.raises(AIStepError) as caught:
            await HANDLER.run({"model": "gpt-4o-mini", "prompt": "hi"}, ctx)
    finally:
        await router.aclose()  # hangs up on the fake, which stops holding its answer
    assert (caught.value.code, caught.value.retryable) == ("timeout", True)


async def test_an_exhausted_budget_makes_no_call(cases: dict[str, Case], router: Router) -> None:
    ctx = StepContext(org_id=ORG, router=router, deadline=time.monotonic() - 1)
    with pytest.raises(AIStepError, match="time budget ran out"):
        await HANDLER.run({"model": "gpt-4o-mini", "prompt": "hi"}, ctx)
    assert cases["openai"].api.requests == []


async def test_streamed_text_reaches_the_live_view(case: Case, router: Router) -> None:
    case.api.enqueue(case.stream(["The app", " crashes", " on save."], input_tokens=1000, output_tokens=200))
    seen: list[str] = []

    async def on_text(text: str) -> None:
        seen.append(text)

    ctx = StepContext(org_id=ORG, router=router, on_text=on_text)
    result = await HANDLER.run({"operation": "summarize", "model": case.model, "prompt": "long text"}, ctx)
    assert seen == ["The app", " crashes", " on save."]
    assert result.output["text"] == "The app crashes on save."
    assert (result.output["usage"]["input_tokens"], result.output["usage"]["output_tokens"]) == (1000, 200)


async def test_the_agent_chain_applies_unless_the_node_has_its_own(
    cases: dict[str, Case], router: Router
) -> None:
    openai, anthropic, google = cases["openai"], cases["anthropic"], cases["google"]
    agent_chain = ["claude-3-5-haiku-latest"]

    openai.api.enqueue(openai.error(503, "busy"))
    ctx = StepContext(org_id=ORG, router=router, fallback_models=agent_chain)
    result = await HANDLER.run({"model": "gpt-4o-mini", "prompt": "hi"}, ctx)
    assert result.output["usage"]["provider"] == "anthropic"

    openai.api.enqueue(openai.error(503, "busy"))
    node = {"model": "gpt-4o-mini", "prompt": "hi", "fallback_models": ["gemini-2.0-flash"]}
    result = await HANDLER.run(node, ctx)
    assert result.output["usage"]["provider"] == "google"
    assert len(anthropic.api.requests) == 1
    assert len(google.api.requests) == 1


async def test_a_failed_step_keeps_its_prompts_attempts_and_cost(
    cases: dict[str, Case], router: Router
) -> None:
    case = cases["openai"]
    wrong = case.structured(
        "Classification", {"label": "nope", "confidence": 0.1}, input_tokens=1000, output_tokens=200
    )
    case.api.enqueue(wrong, wrong)
    handler = AINodeHandler(validation_retries=1)
    config = {
        "operation": "classify",
        "model": "gpt-4o-mini",
        "prompt": "{{start.output.body.text}}",
        "labels": ["bug", "question"],
    }
    with pytest.raises(AIStepError) as caught:
        await handler.run(config, StepContext(org_id=ORG, router=router, template_context=context()))
    error = caught.value
    assert error.rendered["prompt"] == "The app crashes when I click save."
    assert error.usage.cost_usd == Decimal("0.00054")  # two gpt-4o-mini calls
    assert error.details["calls"] == 2
    assert [a["status"] for a in error.provider_attempts] == ["error"]


async def test_recorded_cost_converts_back_to_the_exact_decimal(case: Case, router: Router) -> None:
    case.api.enqueue(case.text("ok", input_tokens=123_457, output_tokens=9_871))
    result = await HANDLER.run({"model": case.model, "prompt": "hi"}, StepContext(org_id=ORG, router=router))
    assert Decimal(str(result.output["usage"]["cost_usd"])) == result.usage.cost_usd
