"""Retrieval on real Postgres + pgvector with the offline model's real vectors: hybrid finds what a
product code pins down (where vectors blur near-identical passages) and what a paraphrase means (where
full text matches the wrong words); filters, scores and the exact scan agree with the index."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.knowledge.embeddings import DEFAULT_MODEL, LocalEmbedder
from agentflow.knowledge.search import Filters, fuse, near_best, search
from agentflow.models import KnowledgeBase, KnowledgeChunk, KnowledgeDocument
from tests.factories import create_org_with_owner

PUMPS = {
    "QX-7731": "every 400 hours",
    "QX-7713": "every 250 hours",
    "QX-1377": "every 900 hours",
    "QX-3171": "every 120 hours",
    "QX-7173": "every 600 hours",
    "QX-1737": "every 75 hours",
}
POLICIES = [
    (
        "Returns: you may ship an item back within 30 days of delivery and we refund the full price.",
        "How long do I have to send a purchase back and get my money returned?",
    ),
    (
        "Passwords can be changed from the account page: choose Security, then Reset credentials.",
        "Where do I go to pick a new login secret?",
    ),
    (
        "Our support desk answers calls from 8 am to 6 pm on weekdays, and not at weekends.",
        "When can I phone the helpdesk?",
    ),
    (
        "Invoices are emailed as PDF files on the first business day of each month.",
        "At what point in the month does the bill arrive?",
    ),
]
# Distractors sharing the questions' words but not their meaning: full text ranks them high.
DISTRACTORS = [
    "Money back: get your money back on gift cards? Gift cards cannot be sent back or returned for money.",
    "Pick a new theme: go to Appearance and pick a new colour for your login page.",
    "Phone cases and helpdesk mugs can be bought in our shop; when you phone, say the mug code.",
    "The bill of materials for the month lists every part; the month's bill arrives with the parts.",
]


async def _knowledge_base(session: AsyncSession, settings: Settings, passages: list[str]) -> KnowledgeBase:
    owner = await create_org_with_owner(session, settings, name=f"Search {uuid.uuid4().hex[:6]}")
    kb = KnowledgeBase(
        org_id=owner.org_id,
        name="kb",
        description="",
        embedding_model=DEFAULT_MODEL,
        dimensions=384,
        chunk_size=512,
        chunk_overlap=64,
        chunk_strategy="recursive",
        document_count=1,
        chunk_count=0,
        bytes_used=0,
    )
    session.add(kb)
    await session.flush()
    doc = KnowledgeDocument(
        org_id=owner.org_id,
        knowledge_base_id=kb.id,
        name="handbook.md",
        kind="markdown",
        source="upload",
        storage_key="x",
        status="ready",
        chunks=len(passages),
        bytes=1,
        sha256="0" * 64,
        tokens=0,
    )
    session.add(doc)
    await session.flush()
    vectors = (await LocalEmbedder(DEFAULT_MODEL).passages(passages)).vectors
    for position, (content, vector) in enumerate(zip(passages, vectors, strict=True)):
        session.add(
            KnowledgeChunk(
                org_id=owner.org_id,
                knowledge_base_id=kb.id,
                document_id=doc.id,
                position=position,
                content=content,
                page=position + 1,
                heading=None,
                metadata_={"position": position, "lang": "en"},
                tokens=10,
                dimensions=384,
                embedding=vector,
            )
        )
    await session.flush()
    return kb


async def _rank(session: AsyncSession, kb: KnowledgeBase, query: str, wanted: str, mode: str) -> float:
    """Reciprocal rank of the passage containing `wanted` in the top 5 (0 when absent)."""
    vector = (await LocalEmbedder(DEFAULT_MODEL).query(query)).vectors[0]
    hits = await search(
        session, knowledge_base_id=kb.id, dimensions=384, query=query, query_vector=vector, top_k=5, mode=mode
    )
    for rank, hit in enumerate(hits, start=1):
        if wanted in hit.content:
            return 1.0 / rank
    return 0.0


def _pump(code: str, interval: str) -> str:
    return f"Pump {code}: the impeller seals must be serviced {interval} of operation."


async def test_hybrid_beats_vector_only_when_a_product_code_decides(
    session: AsyncSession, settings: Settings
) -> None:
    kb = await _knowledge_base(session, settings, [_pump(c, i) for c, i in PUMPS.items()])
    vector = hybrid = 0.0
    for code in PUMPS:
        question = f"How often are the seals of pump {code} serviced?"
        vector += await _rank(session, kb, question, code, "vector")
        hybrid += await _rank(session, kb, question, code, "hybrid")
    assert hybrid / len(PUMPS) == 1.0  # the code decides: first every time
    assert vector < hybrid


async def test_hybrid_beats_keyword_only_on_paraphrases(session: AsyncSession, settings: Settings) -> None:
    kb = await _knowledge_base(session, settings, [p for p, _ in POLICIES] + DISTRACTORS)
    keyword = hybrid = 0.0
    for passage, question in POLICIES:
        wanted = passage[:30]
        keyword += await _rank(session, kb, question, wanted, "keyword")
        hybrid += await _rank(session, kb, question, wanted, "hybrid")
    assert keyword < hybrid


async def test_filters_scores_and_exact_scan(session: AsyncSession, settings: Settings) -> None:
    kb = await _knowledge_base(session, settings, [_pump(c, i) for c, i in PUMPS.items()])
    query = "seal service interval"
    vector = (await LocalEmbedder(DEFAULT_MODEL).query(query)).vectors[0]

    async def run(**options: object) -> list[str]:
        hits = await search(
            session,
            knowledge_base_id=kb.id,
            dimensions=384,
            query=query,
            query_vector=vector,
            top_k=6,
            mode="vector",
            **options,  # type: ignore[arg-type]
        )
        assert all(-1 <= h.score <= 1 for h in hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        return [h.content for h in hits]

    indexed, exact = await run(), await run(exact=True)
    assert sorted(indexed) == sorted(exact) and len(indexed) == len(PUMPS)
    only_third = await run(filters=Filters(metadata={"position": 2}))
    assert only_third == [_pump("QX-1377", PUMPS["QX-1377"])]
    assert await run(filters=Filters(document_ids=[uuid.uuid4()])) == []
    assert len(await run(min_score=2.0 - 1.0)) <= 1  # nothing is more similar than identical
    other = await search(
        session, knowledge_base_id=uuid.uuid4(), dimensions=384, query=query, query_vector=vector, top_k=5
    )
    assert other == []  # another knowledge base's id finds nothing of this one


def test_reciprocal_rank_fusion_scales_first_place_to_one() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    fused = fuse([(a, 0.9), (b, 0.8)], [(a, 0.5), (c, 0.4)])
    assert fused[0] == (a, pytest.approx(1.0))
    assert {cid for cid, _ in fused} == {a, b, c}
    assert fused[1][1] == pytest.approx(fused[2][1])  # second in one list each
    weighted = fuse([(a, 0.9), (b, 0.8)], [(a, 0.5), (c, 0.4)], weights=(1.0, 0.5))
    assert weighted[0] == (a, pytest.approx(1.0))
    assert [cid for cid, _ in weighted] == [a, b, c]  # the lighter list's second place comes last
    tied = dict(fuse([(a, 0.9)], [(b, 0.3), (c, 0.3), (a, 0.3)]))
    assert tied[b] == pytest.approx(tied[c])  # equal full-text scores, equal votes, whatever the order


def test_only_the_head_of_the_full_text_ranking_votes() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert near_best([(a, 0.5), (b, 0.45), (c, 0.1)]) == [(a, 0.5), (b, 0.45)]
    assert near_best([]) == []
