"""Retrieval: vector (pgvector HNSW), keyword (Postgres full text) and hybrid (reciprocal rank fusion).

Vector search uses the partial HNSW index of the knowledge base's dimension (migration 0009) with
pgvector's iterative index scans, so filtering by knowledge base, documents or metadata does not cut the
candidate list short (recall stays that of the unfiltered index). `exact=True` scans every chunk instead:
the ground truth the benchmarks compare against.

Scores: vector → cosine similarity (-1..1); keyword → `ts_rank_cd` normalised to 0..1; hybrid → the fused
score scaled so a chunk ranked first by both searches scores 1.0.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.models.knowledge import TEXT_SEARCH_CONFIG

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al.): ranks past ~60 matter little
# Hybrid: full text votes only for chunks it ranks near its best (words OR-ed match much that is unrelated),
# at this weight against the vector ranking's 1, and equal scores share a rank. Chosen on
# benchmarks/rag_quality.py: equal votes for every keyword match lost more paraphrase questions than they
# won code questions.
KEYWORD_NEAR_BEST = 0.8
KEYWORD_WEIGHT = 0.75
EF_SEARCH = 100  # HNSW candidate list; see docs/performance.md (rag_search) for the recall/QPS trade-off
MIN_CANDIDATES = 40


@dataclass(frozen=True)
class Filters:
    document_ids: Sequence[uuid.UUID] | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class Hit:
    chunk_id: uuid.UUID
    content: str
    score: float
    document_id: uuid.UUID
    document_name: str
    page: int | None
    heading: str | None
    metadata: dict[str, Any] = field(default_factory=dict)


def _where(filters: Filters, params: dict[str, Any]) -> str:
    clauses = ["c.knowledge_base_id = :kb"]
    if filters.document_ids:
        clauses.append("c.document_id = ANY(:document_ids)")
        params["document_ids"] = list(filters.document_ids)
    if filters.metadata:
        clauses.append("c.metadata @> CAST(:metadata AS jsonb)")
        params["metadata"] = json.dumps(filters.metadata)
    return " AND ".join(clauses)


async def _vector_ranks(
    session: AsyncSession,
    knowledge_base_id: uuid.UUID,
    dimensions: int,
    vector: Sequence[float],
    limit: int,
    filters: Filters,
    *,
    exact: bool,
    ef_search: int,
) -> list[tuple[uuid.UUID, float]]:
    """(chunk id, cosine similarity), best first."""
    assert isinstance(dimensions, int) and 0 < dimensions <= 16000  # formatted into the SQL: an int only
    if len(vector) != dimensions:
        raise ValueError(f"the query vector has {len(vector)} dimensions, the knowledge base {dimensions}")
    params: dict[str, Any] = {"kb": knowledge_base_id, "q": _literal(vector), "limit": limit}
    where = _where(filters, params)
    cast = f"c.embedding::vector({dimensions})"
    if exact:
        await session.execute(text("SET LOCAL enable_indexscan = off"))
    else:
        await session.execute(text("SET LOCAL hnsw.iterative_scan = 'relaxed_order'"))
        await session.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef_search)}"))
    # relaxed_order may return neighbours slightly out of order: the outer query sorts them exactly.
    # Only an int and fixed clauses are formatted in; every value is a bound parameter.
    rows = await session.execute(
        text(
            f"""
            SELECT id, 1 - distance AS score FROM (
              SELECT c.id, {cast} <=> CAST(:q AS vector({dimensions})) AS distance
              FROM knowledge_chunks c
              WHERE {where} AND c.dimensions = {dimensions}
              ORDER BY {cast} <=> CAST(:q AS vector({dimensions}))
              LIMIT :limit
            ) nearest ORDER BY distance
            """  # noqa: S608
        ),
        params,
    )
    if exact:
        await session.execute(text("SET LOCAL enable_indexscan = on"))
    return [(row.id, float(row.score)) for row in rows]


async def _keyword_ranks(
    session: AsyncSession, knowledge_base_id: uuid.UUID, query: str, limit: int, filters: Filters
) -> list[tuple[uuid.UUID, float]]:
    """(chunk id, normalised rank), best first. Words are OR-ed: a chunk need not hold every word of a
    question to be found, and one holding more of them ranks higher."""
    params: dict[str, Any] = {"kb": knowledge_base_id, "query": query, "limit": limit}
    where = _where(filters, params)
    config = f"'{TEXT_SEARCH_CONFIG}'::regconfig"
    rows = await session.execute(
        text(
            f"""
            WITH q AS (SELECT replace(plainto_tsquery({config}, :query)::text, '&', '|')::tsquery AS tsq)
            SELECT c.id, ts_rank_cd(c.search, q.tsq, 32) AS score
            FROM knowledge_chunks c, q
            WHERE {where} AND c.search @@ q.tsq
            ORDER BY score DESC, c.id
            LIMIT :limit
            """  # noqa: S608 - a constant and fixed clauses formatted in; values are bound
        ),
        params,
    )
    return [(row.id, float(row.score)) for row in rows]


def fuse(
    *rankings: list[tuple[uuid.UUID, float]], weights: tuple[float, ...] | None = None
) -> list[tuple[uuid.UUID, float]]:
    """Weighted reciprocal rank fusion, scaled so first place in every ranking scores 1.0."""
    weights = weights or (1.0,) * len(rankings)
    scores: dict[uuid.UUID, float] = {}
    for weight, ranking in zip(weights, rankings, strict=True):
        for chunk_id, rank in _tied_ranks(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (RRF_K + rank)
    best = sum(weights) / (RRF_K + 1)
    return sorted(((cid, score / best) for cid, score in scores.items()), key=lambda item: -item[1])


def _tied_ranks(ranking: list[tuple[uuid.UUID, float]]) -> list[tuple[uuid.UUID, float]]:
    """Ranks from 1, chunks with equal scores sharing their group's average rank: full-text ranks tie often,
    and an arbitrary order among equals would hand out votes at random."""
    ranked: list[tuple[uuid.UUID, float]] = []
    start = 0
    while start < len(ranking):
        end = start
        while end + 1 < len(ranking) and ranking[end + 1][1] == ranking[start][1]:
            end += 1
        ranked += [(chunk_id, (start + end) / 2 + 1) for chunk_id, _ in ranking[start : end + 1]]
        start = end + 1
    return ranked


def near_best(ranking: list[tuple[uuid.UUID, float]]) -> list[tuple[uuid.UUID, float]]:
    """The head of a full-text ranking: chunks scoring at least KEYWORD_NEAR_BEST of the best one."""
    if not ranking:
        return ranking
    floor = ranking[0][1] * KEYWORD_NEAR_BEST
    return [(cid, score) for cid, score in ranking if score >= floor]


async def search(
    session: AsyncSession,
    *,
    knowledge_base_id: uuid.UUID,
    dimensions: int | None,
    query: str,
    query_vector: Sequence[float] | None,
    top_k: int,
    mode: str = "hybrid",
    filters: Filters = Filters(),
    min_score: float | None = None,
    exact: bool = False,
    ef_search: int = EF_SEARCH,
) -> list[Hit]:
    """The best `top_k` chunks of one knowledge base for `query` (its vector is needed unless keyword)."""
    candidates = max(top_k * 4, MIN_CANDIDATES) if mode == "hybrid" else top_k
    vector: list[tuple[uuid.UUID, float]] = []
    keyword: list[tuple[uuid.UUID, float]] = []
    if mode in ("vector", "hybrid") and dimensions is not None:
        assert query_vector is not None, "vector and hybrid searches need the query's vector"
        vector = await _vector_ranks(
            session,
            knowledge_base_id,
            dimensions,
            query_vector,
            candidates,
            filters,
            exact=exact,
            ef_search=ef_search,
        )
    if mode in ("keyword", "hybrid"):
        keyword = await _keyword_ranks(session, knowledge_base_id, query, candidates, filters)
    if mode == "hybrid":
        ranked = fuse(vector, near_best(keyword), weights=(1.0, KEYWORD_WEIGHT)) if vector else keyword
    else:
        ranked = vector or keyword
    if min_score is not None:
        ranked = [(cid, score) for cid, score in ranked if score >= min_score]
    return await _load(session, ranked[:top_k])


async def _load(session: AsyncSession, ranked: list[tuple[uuid.UUID, float]]) -> list[Hit]:
    if not ranked:
        return []
    rows = await session.execute(
        text(
            """
            SELECT c.id, c.content, c.page, c.heading, c.metadata, c.document_id, d.name AS document_name
            FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id
            WHERE c.id = ANY(:ids)
            """
        ),
        {"ids": [cid for cid, _ in ranked]},
    )
    by_id = {row.id: row for row in rows}
    return [
        Hit(
            chunk_id=cid,
            content=row.content,
            score=round(score, 6),
            document_id=row.document_id,
            document_name=row.document_name,
            page=row.page,
            heading=row.heading,
            metadata=row.metadata or {},
        )
        for cid, score in ranked
        if (row := by_id.get(cid)) is not None
    ]


def _literal(vector: Sequence[float]) -> str:
    """pgvector's text form, `[0.1,0.2,…]` (bound as a parameter, never formatted into SQL)."""
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"
