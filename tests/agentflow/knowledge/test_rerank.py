"""Re-ranking through the real router: the org's default model (a loopback server speaking OpenAI's wire
format) orders the passages; a garbled answer keeps the search's order."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from agentflow.knowledge.rerank import rerank
from agentflow.knowledge.search import Hit
from agentflow.providers import InMemoryCredentials, Router
from agentflow.providers.routing import RoutingPolicy, StaticPolicies
from tests.fakes import openai_wire
from tests.fakes.cases import LOOPBACK_EGRESS, Case
from tests.fakes.fixtures import ORG, cases, credentials, fake_apis

__all__ = ["cases", "credentials", "fake_apis"]  # fixtures, imported to be found


@pytest.fixture
async def openai_router(credentials: InMemoryCredentials) -> AsyncIterator[Router]:
    policy = RoutingPolicy(default_provider="openai", default_model="gpt-4o-mini")
    router = Router(credentials, egress=LOOPBACK_EGRESS, policies=StaticPolicies(default=policy))
    yield router
    await router.aclose()


def _hits(*contents: str) -> list[Hit]:
    return [
        Hit(
            chunk_id=uuid.uuid4(),
            content=c,
            score=0.5,
            document_id=uuid.uuid4(),
            document_name="d",
            page=None,
            heading=None,
        )
        for c in contents
    ]


async def test_the_model_orders_the_passages(openai_router: Router, cases: dict[str, Case]) -> None:
    api = cases["openai"].api
    api.enqueue(openai_wire.completion("Ranking: [3, 1]"))
    hits = _hits("about cats", "about taxes", "how to reset a password")
    ranked = await rerank(openai_router, ORG, "reset my password", hits)
    assert [h.content for h in ranked] == ["how to reset a password", "about cats", "about taxes"]
    assert [h.score for h in ranked] == [1.0, pytest.approx(0.666667), pytest.approx(0.333333)]
    sent = api.last.body["messages"]
    assert sent[-1]["content"].startswith("Question: reset my password")
    assert "[3] how to reset a password" in sent[-1]["content"]


async def test_a_garbled_answer_keeps_the_search_order(openai_router: Router, cases: dict[str, Case]) -> None:
    cases["openai"].api.enqueue(openai_wire.completion("I think the second one, maybe [nine]"))
    hits = _hits("a", "b")
    assert [h.content for h in await rerank(openai_router, ORG, "q", hits)] == ["a", "b"]
