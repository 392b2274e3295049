"""Embeddings: the offline model really embeds (and ranks), calls are serialised safely, and provider models
go through the real router to a loopback server speaking OpenAI's and Ollama's wire formats."""

from __future__ import annotations

import asyncio
import math
import threading
import uuid
from decimal import Decimal

import pytest

from agentflow.errors import ValidationFailed
from agentflow.knowledge.embeddings import (
    DEFAULT_MODEL,
    LOCAL_MODELS,
    Embedded,
    embedder_for,
    model_problem,
)
from agentflow.providers import ProviderError, Router
from tests.fakes import openai_wire
from tests.fakes.cases import Case
from tests.fakes.fixtures import ORG, case, cases, credentials, fake_apis, router

__all__ = ["case", "cases", "credentials", "fake_apis", "router"]  # fixtures, imported to be found

PAIRS = [
    (
        "How long does the battery of the thermostat last?",
        "The Halden thermostat runs on a lithium cell that lasts about five years before it needs replacing.",
    ),
    (
        "Which city is the capital of Australia?",
        "Canberra was chosen as the Australian capital in 1908 as a compromise between Sydney and Melbourne.",
    ),
    (
        "what should I eat to get more protein",
        "Eggs, lentils, chicken breast and Greek yogurt are all rich sources of dietary protein.",
    ),
    (
        "Wie hoch ist der höchste Berg der Welt?",  # multilingual: a German question, an English passage
        "Mount Everest rises 8,849 metres above sea level, the highest summit on Earth.",
    ),
    (
        "How do I reset my password?",
        "To change a forgotten password, open the sign-in page, choose 'Forgot password', follow the email.",
    ),
]


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_the_local_model_ranks_the_right_passage_first_offline() -> None:
    embedder = embedder_for(DEFAULT_MODEL, org_id=ORG, router=None)
    passages = await embedder.passages([passage for _, passage in PAIRS])
    assert passages.model == DEFAULT_MODEL
    assert passages.cost_usd == Decimal(0)
    assert passages.tokens > sum(len(p.split()) for _, p in PAIRS)  # subword tokens, prefix and specials
    assert len(passages.vectors) == len(PAIRS)
    for vector in passages.vectors:
        assert len(vector) == LOCAL_MODELS[DEFAULT_MODEL] == 384
        assert math.isclose(math.sqrt(_dot(vector, vector)), 1.0, abs_tol=1e-4)
    for expected, (question, _) in enumerate(PAIRS):
        query = await embedder.query(question)
        assert len(query.vectors) == 1
        scores = [_dot(query.vectors[0], vector) for vector in passages.vectors]
        assert scores.index(max(scores)) == expected, (question, scores)


async def test_queries_and_passages_are_embedded_with_different_prefixes() -> None:
    embedder = embedder_for(DEFAULT_MODEL, org_id=ORG, router=None)
    text = "reset a forgotten password"
    as_query = await embedder.query(text)
    as_passage = await embedder.passages([text])
    assert as_query.vectors[0] != as_passage.vectors[0]
    assert _dot(as_query.vectors[0], as_passage.vectors[0]) > 0.8  # the same text, read two ways
    assert as_query.tokens != as_passage.tokens  # "query: " and "passage: " tokenise differently


async def test_nothing_to_embed_costs_nothing() -> None:
    embedded = await embedder_for(DEFAULT_MODEL, org_id=ORG, router=None).passages([])
    assert embedded == Embedded(vectors=[], tokens=0, cost_usd=Decimal(0), model=DEFAULT_MODEL)


async def test_concurrent_calls_give_the_same_vectors_as_sequential_ones() -> None:
    embedder = embedder_for(DEFAULT_MODEL, org_id=ORG, router=None)
    batches = [[f"Document {i} about product ZX-{4400 + i}.", f"Another line {i}."] for i in range(12)]
    sequential = [await embedder.passages(batch) for batch in batches]
    queries = [await embedder.query(f"question {i}") for i in range(12)]
    concurrent = await asyncio.gather(*(embedder.passages(batch) for batch in batches))
    concurrent_queries = await asyncio.gather(*(embedder.query(f"question {i}") for i in range(12)))
    assert list(concurrent) == sequential
    assert list(concurrent_queries) == queries


def test_event_loops_in_several_threads_share_one_model_safely() -> None:
    text = ["Ingestion flows run in worker threads with event loops of their own."]
    expected = asyncio.run(embedder_for(DEFAULT_MODEL, org_id=ORG, router=None).passages(text))
    results: list[Embedded] = []

    def work() -> None:
        embedder = embedder_for(DEFAULT_MODEL, org_id=ORG, router=None)
        results.append(asyncio.run(embedder.passages(text)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("", "Name an embedding model"),
        ("  ", "Name an embedding model"),
        (" local/multilingual-e5-small", "is not a model name"),
        ("local/bge-large", "There is no local embedding model 'local/bge-large'"),
        ("anthropic/claude-sonnet-4-5", "Anthropic has no embeddings API"),
        ("claude-3-haiku", "Anthropic has no embeddings API"),
    ],
)
def test_unusable_models_have_a_readable_reason(model: str, reason: str) -> None:
    problem = model_problem(model)
    assert problem is not None and reason in problem
    with pytest.raises(ValidationFailed, match=reason):
        embedder_for(model, org_id=ORG, router=None)


@pytest.mark.parametrize(
    "model",
    [DEFAULT_MODEL, "text-embedding-3-small", "openai/text-embedding-3-large", "ollama/nomic-embed-text"],
)
def test_usable_models_have_no_problem(model: str) -> None:
    assert model_problem(model) is None


def test_a_provider_model_needs_a_router() -> None:
    with pytest.raises(ValidationFailed, match="no provider router"):
        embedder_for("text-embedding-3-small", org_id=ORG, router=None)


async def test_openai_models_go_through_the_router_with_tokens_and_cost(
    router: Router, cases: dict[str, Case]
) -> None:
    api = cases["openai"].api
    api.enqueue(openai_wire.embeddings([[0.6, 0.8], [1.0, 0.0]], prompt_tokens=1_000_000))
    embedder = embedder_for("openai/text-embedding-3-small", org_id=ORG, router=router)
    embedded = await embedder.passages(["first chunk", "second chunk"])
    assert embedded.vectors == [[0.6, 0.8], [1.0, 0.0]]
    assert embedded.tokens == 1_000_000
    assert embedded.cost_usd == Decimal("0.02")  # $0.02 per million input tokens
    assert embedded.model == "openai/text-embedding-3-small"
    sent = api.last
    assert sent.path == "/v1/embeddings"
    assert sent.header("authorization") == f"Bearer {cases['openai'].api_key}"
    assert sent.body["model"] == "text-embedding-3-small"
    assert sent.body["input"] == ["first chunk", "second chunk"]

    api.enqueue(openai_wire.embeddings([[0.0, 1.0]], prompt_tokens=3))
    query = await embedder.query("a question")
    assert (query.vectors, query.tokens) == ([[0.0, 1.0]], 3)
    assert api.last.body["input"] == ["a question"]


async def test_ollama_models_go_to_the_organizations_ollama(router: Router, cases: dict[str, Case]) -> None:
    embedder = embedder_for("ollama/nomic-embed-text", org_id=ORG, router=router)
    embedded = await embedder.passages(["a", "b"])
    assert len(embedded.vectors) == 2
    assert embedded.cost_usd == Decimal(0)
    assert cases["ollama"].api.last.body == {"model": "nomic-embed-text", "input": ["a", "b"]}


async def test_another_organization_without_provider_settings_is_told_so(router: Router) -> None:
    embedder = embedder_for("text-embedding-3-small", org_id=uuid.uuid4(), router=router)
    with pytest.raises(ProviderError, match="no openai settings"):
        await embedder.passages(["x"])
