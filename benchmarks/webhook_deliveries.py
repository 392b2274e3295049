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
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import psutil
import uvicorn
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agentflow.embedded.ports import free_port
from agentflow.embedded.postgres import EmbeddedPostgres
from agentflow.webhooks_out.delivery import CONCURRENCY
from benchmarks.stack import BenchStack, percentile

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
    def __init__(self) -> None:
        self.count = 0
        self.arrived: dict[str, float] = {}

    async def hook(self, request: Request) -> Response:
        await request.body()
        self.count += 1
        msg_id = request.headers.get("webhook-id")
        if msg_id:
            self.arrived.setdefault(msg_id, time.perf_counter())
        return Response(status_code=204)

    def serve(self) -> str:
        app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False
            )
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.02)
        return f"http://127.0.0.1:{port}/hook"


def db_dsn(stack: BenchStack) -> str:
    argv = psutil.Process(stack.process.pid).cmdline()
    port = int(argv[argv.index("--db-port") + 1])
    url = EmbeddedPostgres(Path(stack.data_dir), port=port).url()
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def wait_for(condition: object, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for deliveries")
        await asyncio.sleep(0.005)


async def measure(stack: BenchStack, deliveries: int, samples: int) -> None:
    receiver = Receiver()
    url = receiver.serve()
    async with stack.client() as client:
        endpoint = (await client.post("/org/webhooks", json={"url": url, "events": ["webhook.test"]})).json()
        # The first run of the every-minute delivery flow may be up to a minute away: wait for it.
        await client.post(f"/org/webhooks/{endpoint['id']}/test")
        await wait_for(lambda: receiver.count >= 1, 150)

        latencies = []
        for _ in range(samples):
            queued_at = time.perf_counter()
            made = (await client.post(f"/org/webhooks/{endpoint['id']}/test")).json()
            await wait_for(lambda m=made: m["message_id"] in receiver.arrived, 60)
            latencies.append((receiver.arrived[made["message_id"]] - queued_at) * 1000)
        print(
            f"queue → receipt (API call included): p50 {percentile(latencies, 50):.1f} ms, "
            f"p95 {percentile(latencies, 95):.1f} ms over {samples} test events"
        )

    connection = await asyncpg.connect(db_dsn(stack))
    try:
        before = receiver.count
        started = time.perf_counter()
        async with connection.transaction():
            await connection.fetchval(_BACKLOG, uuid.UUID(endpoint["id"]), deliveries)
            await connection.execute("SELECT pg_notify('agentflow_webhooks', '')")
        await wait_for(lambda: receiver.count >= before + deliveries, 600)
        drained = time.perf_counter() - started
        pending = await connection.fetchval(
            "SELECT count(*) FROM webhook_outbound_deliveries "
            "WHERE endpoint_id = $1 AND status <> 'succeeded'",
            uuid.UUID(endpoint["id"]),
        )
    finally:
        await connection.close()
    rate = deliveries / drained
    print(
        f"delivery flow: {deliveries} deliveries in {drained:.2f} s = {rate:.0f} deliveries/s "
        f"({pending} not recorded succeeded yet)"
    )

    body = b'{"type":"webhook.test","timestamp":"2026-01-01T00:00:00+00:00","data":{"endpoint_id":"x","n":1}}'
    limits = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as http:

        async def post() -> None:
            async with limits:
                (
                    await http.post(url, content=body, headers={"content-type": "application/json"})
                ).raise_for_status()

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
