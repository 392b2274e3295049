"""Outbound webhook deliveries/s: the `webhook-delivery` flow of a real `agentflow up` against a loopback
receiver, compared with plain httpx POSTs to the same receiver in the same run (the baseline).

    python -m benchmarks.webhook_deliveries [--deliveries 2000] [--latency-samples 20]

Prints:
- queue → receipt latency of single `webhook.test` events (API answer → the receiver has it), p50/p95;
- deliveries/s draining a backlog of N rows committed at once (signed, through the egress guard, recorded);
- the baseline: N plain httpx POSTs of the same body at the delivery flow's concurrency (50).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy.engine import make_url

from agentflow.embedded.ports import free_port
from agentflow.embedded.postgres import EmbeddedPostgres
from agentflow.webhooks_out.delivery import CONCURRENCY
from benchmarks.stack import REPO, BenchStack, percentile

_BACKLOG = """
WITH queued AS (
    INSERT INTO webhook_outbound_deliveries (id, org_id, endpoint_id, event, payload, status, attempt,
                                             next_retry_at, created_at, updated_at)
    SELECT gen_random_uuid(), e.org_id, e.id, 'webhook.test',
           jsonb_build_object('type', 'webhook.test', 'timestamp', now(),
                              'data', jsonb_build_object('endpoint_id', e.id, 'n', n)),
           'pending', 0, clock_timestamp(), now(), now()
    FROM webhook_endpoints e, generate_series(1, $2) AS n
    WHERE e.id = $1
    RETURNING id
)
SELECT count(*) FROM queued
"""


class Receiver:
    """benchmarks/webhook_receiver.py in a subprocess."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.webhook_receiver", str(self.port)], cwd=REPO
        )
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.stats_url = f"http://127.0.0.1:{self.port}/stats"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.stats_url, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("the receiver did not start")

    async def stats(self, http: httpx.AsyncClient) -> dict[str, Any]:
        return dict((await http.get(self.stats_url)).json())

    async def wait_count(self, http: httpx.AsyncClient, count: int, within: float) -> None:
        deadline = time.monotonic() + within
        while (await self.stats(http))["count"] < count:
            if time.monotonic() > deadline:
                raise SystemExit("timed out waiting for deliveries")
            await asyncio.sleep(0.02)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def db_dsn(stack: BenchStack) -> str:
    argv = psutil.Process(stack.process.pid).cmdline()
    port = int(argv[argv.index("--db-port") + 1])
    url = EmbeddedPostgres(Path(stack.data_dir), port=port).url()
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def measure(stack: BenchStack, deliveries: int, samples: int) -> None:
    receiver = Receiver()
    try:
        await _measure(stack, receiver, deliveries, samples)
    finally:
        receiver.stop()


async def _measure(stack: BenchStack, receiver: Receiver, deliveries: int, samples: int) -> None:
    async with stack.client() as client, httpx.AsyncClient(timeout=30) as probe:
        made = await client.post("/org/webhooks", json={"url": receiver.url, "events": ["webhook.test"]})
        endpoint = made.json()
        # The first run of the every-minute delivery flow may be up to a minute away: wait for it.
        await client.post(f"/org/webhooks/{endpoint['id']}/test")
        await receiver.wait_count(probe, 1, 150)

        latencies = []
        for i in range(samples):
            queued_at = time.time()
            message = (await client.post(f"/org/webhooks/{endpoint['id']}/test")).json()["message_id"]
            await receiver.wait_count(probe, 2 + i, 60)
            latencies.append(((await receiver.stats(probe))["arrived"][message] - queued_at) * 1000)
        print(
            f"queue → receipt (API call included): p50 {percentile(latencies, 50):.1f} ms, "
            f"p95 {percentile(latencies, 95):.1f} ms over {samples} test events"
        )

        connection = await asyncpg.connect(db_dsn(stack))
        try:
            before = (await receiver.stats(probe))["count"]
            started = time.perf_counter()
            async with connection.transaction():
                await connection.fetchval(_BACKLOG, uuid.UUID(endpoint["id"]), deliveries)
                await connection.execute("SELECT pg_notify('agentflow_webhooks', '')")
            await receiver.wait_count(probe, before + deliveries, 600)
            drained = time.perf_counter() - started
        finally:
            await connection.close()
        rate = deliveries / drained
        print(f"delivery flow: {deliveries} signed deliveries in {drained:.2f} s = {rate:.0f} deliveries/s")

    body = b'{"type":"webhook.test","timestamp":"2026-01-01T00:00:00+00:00","data":{"endpoint_id":"x","n":1}}'
    limits = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as http:

        async def post() -> None:
            async with limits:
                answer = await http.post(
                    receiver.url, content=body, headers={"content-type": "application/json"}
                )
                answer.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post() for _ in range(deliveries)))
        baseline = deliveries / (time.perf_counter() - started)
    print(
        f"baseline: {deliveries} plain httpx POSTs = {baseline:.0f} posts/s; "
        f"delivery flow at {rate / baseline:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=20)
    args = parser.parse_args()
    stack = BenchStack.start()
    try:
        asyncio.run(measure(stack, args.deliveries, args.latency_samples))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
