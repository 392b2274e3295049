"""GET /analytics/overview and /usage over a 90-day range of an org with many executions: read from the
daily rollup (the product) vs. a naive live scan of the executions (the same endpoints with no day rolled
up), same stack, same run.

    python -m benchmarks.analytics [--executions 1000000] [--days 365] [--requests 40]

Starts its own `agentflow up` in a temporary data dir, seeds the executions with one INSERT … SELECT
generate_series (spread evenly over --days, 5 agents, a mix of outcomes), rolls every day up with the
daily rollup's own code, then times the requests through the running API.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
from sqlalchemy import text

from agentflow.analytics.rollup import roll_up
from agentflow.db import create_sessionmaker
from agentflow.embedded.postgres import EmbeddedPostgres
from benchmarks.stack import BenchStack, linear_agent, percentile

SEED = text(
    """
    INSERT INTO executions (id, org_id, agent_id, status, triggered_by, created_at, updated_at, duration_ms,
                            total_tokens, total_cost_usd)
    SELECT gen_random_uuid(), :org_id, (CAST(:agents AS uuid[]))[1 + i % 5],
           (ARRAY['completed', 'completed', 'completed', 'failed', 'timed_out'])[1 + (i / 7) % 5],
           'api', ts, ts, 50 + (i * 37) % 20000, (i % 900), ((i % 900) * 0.00001)::numeric
    FROM generate_series(1, CAST(:n AS int)) AS i,
         LATERAL (SELECT CAST(:now AS timestamptz) - (i::float8 / CAST(:n AS float8))
                             * (CAST(:days AS float8) * interval '1 day') AS ts) t
    """
)


def db_url(stack: BenchStack) -> str:
    argv = psutil.Process(stack.process.pid).cmdline()
    port = int(argv[argv.index("--db-port") + 1])
    return EmbeddedPostgres(Path(stack.data_dir), port=port).url()


async def timed(client: httpx.AsyncClient, path: str, params: dict[str, str], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return percentile(samples, 50), percentile(samples, 95)


async def main(args: argparse.Namespace) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    stack = BenchStack.start()
    try:
        async with stack.client() as client:
            org_id = (await client.get("/org")).json()["id"]
            agents = [(await stack.agent(linear_agent(2), name=f"bench-{i}"))["id"] for i in range(5)]
            engine = create_async_engine(db_url(stack))
            started = time.perf_counter()
            async with engine.begin() as conn:
                await conn.execute(
                    SEED,
                    {
                        "org_id": uuid.UUID(org_id),
                        "agents": [uuid.UUID(a) for a in agents],
                        "n": args.executions,
                        "now": datetime.now(UTC),
                        "days": args.days,
                    },
                )
            seeded = time.perf_counter() - started
            started = time.perf_counter()
            report = await roll_up(create_sessionmaker(engine), org_id=uuid.UUID(org_id))
            rolled = time.perf_counter() - started
            print(
                f"seeded {args.executions} executions in {seeded:.1f}s; rolled up {report.days} days "
                f"({report.rows} rows) in {rolled:.1f}s"
            )
            today = datetime.now(UTC).date()
            params = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
            results = {}
            for mode in ("rollup", "naive"):
                if mode == "naive":  # no day rolled up: every day of the range read live from executions
                    async with engine.begin() as conn:
                        await conn.execute(text("UPDATE usage_rollup_days SET timezone = 'naive'"))
                for path in ("/analytics/overview", "/analytics/usage"):
                    await client.get(path, params=params)  # warm
                    results[(mode, path)] = await timed(client, path, params, args.requests)
            for path in ("/analytics/overview", "/analytics/usage"):
                (r50, r95), (n50, n95) = results[("rollup", path)], results[("naive", path)]
                print(
                    f"{path} 90 days: rollup p50 {r50:.1f} ms p95 {r95:.1f} ms | naive scan p50 {n50:.1f} ms "
                    f"p95 {n95:.1f} ms | naive/rollup p95 x{n95 / r95:.1f}"
                )
            await engine.dispose()
    finally:
        stack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=40)
    asyncio.run(main(parser.parse_args()))
