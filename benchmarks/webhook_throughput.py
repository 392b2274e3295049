"""Webhook throughput: POSTs to a 2-node agent's webhook for a while, then every execution to completion.

    python -m benchmarks.webhook_throughput [--seconds 60] [--concurrency 20]

Prints accepted requests/s at the webhook, completed executions/s (first accept → last completion), the
trigger → completion latency (p50/p99, from each execution's own record) and whether anything was lost
(every accepted request must have a completed execution). Reference: n8n publishes 220 executions/s for a
webhook workflow on one 2-vCPU instance.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from benchmarks.loadgen import run_load
from benchmarks.stack import BenchStack, percentile


async def executions_of(stack: BenchStack, agent_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    async with stack.client() as client:
        while True:
            params: dict[str, Any] = {"agent_id": agent_id, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/executions", params=params)).json()
            found += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return found


async def measure(stack: BenchStack, seconds: float, concurrency: int) -> None:
    definition = {
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"kind": "webhook"}},
            {
                "id": "check",
                "type": "logic.if",
                "config": {"conditions": [{"left": "{{trigger.output.body.n}}", "op": "gt", "right": 0}]},
            },
        ],
        "edges": [{"source": "start", "target": "check"}],
    }
    agent = await stack.agent(definition, name="webhook")
    target = urlparse(agent["webhook_url"])
    assert target.hostname and target.port
    started = time.time()
    load = await run_load(
        "webhook",
        target.hostname,
        target.port,
        target.path,
        headers={"Content-Type": "application/json"},
        concurrency=concurrency,
        seconds=seconds,
        method="POST",
        body=b'{"n": 1}',
    )
    accepted = load.requests - load.errors
    print(load.line())
    deadline = time.time() + 1800
    while True:
        runs = await executions_of(stack, agent["id"])
        done = [r for r in runs if r["status"] in ("completed", "failed", "cancelled", "timed_out")]
        if len(done) >= accepted or time.time() > deadline:
            break
        print(f"  waiting: {len(done)}/{accepted} finished", flush=True)
        await asyncio.sleep(5)
    completed = [r for r in runs if r["status"] == "completed"]
    last_end = max(datetime.fromisoformat(r["finished_at"]).timestamp() for r in completed)
    latencies = [
        (datetime.fromisoformat(r["finished_at"]) - datetime.fromisoformat(r["created_at"])).total_seconds()
        for r in completed
    ]
    print(f"\n{seconds:.0f}s of webhook load at {concurrency} concurrent clients:")
    print(f"  accepted:  {accepted} requests ({accepted / load.seconds:.1f}/s), errors {load.errors}")
    print(
        f"  completed: {len(completed)} executions "
        f"({len(completed) / (last_end - started):.1f}/s until the last)"
    )
    print(
        f"  trigger -> completed: p50 {statistics.median(latencies):.2f} s, "
        f"p99 {percentile(latencies, 99):.2f} s"
    )
    print(f"  lost: {accepted - len(completed)}  (reference: n8n 220 executions/s on 2 vCPU)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    stack = BenchStack.start()
    try:
        asyncio.run(measure(stack, args.seconds, args.concurrency))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
