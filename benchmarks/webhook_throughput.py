"""Webhook throughput: POSTs to a 2-node agent's webhook for a while, then waits for every execution.

    python -m benchmarks.webhook_throughput [--seconds 60] [--concurrency 20,100] [--variants sqlite,postgres]

Each variant is its own fresh `agentflow up`, measured one after the other in the same run; the first is the
baseline of the ratios. Per variant and concurrency it prints accepted requests/s at the webhook, completed
executions/s (during the load, and from the first accept to the last completion), their ratio, the
trigger → completion latency (p50/p99, from each execution's own record) and whether anything was lost
(every accepted request must have a completed execution). Reference: n8n publishes 220 executions/s for a
webhook workflow on one 2-vCPU instance.

Variants: `sqlite` (Prefect on SQLite), `postgres` (Prefect on the embedded Postgres, the default), `fast`
(Postgres, the agent in the fast execution mode).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import psutil

from benchmarks.loadgen import run_load
from benchmarks.stack import BenchStack, percentile

# Which of the stack's processes a CPU second belongs to (by command line).
ROLES = (
    ("api", "api.app:create_app"),
    ("worker", "agentflow.engine.worker"),
    ("prefect", "prefect_server"),
    ("postgres", "postgres"),
)


def cpu_by_role(stack: BenchStack) -> dict[str, float]:
    """CPU seconds (user + system) so far of every process `agentflow up` started, by role."""
    totals = dict.fromkeys([role for role, _ in ROLES], 0.0)
    for process in psutil.Process(stack.process.pid).children(recursive=True):
        try:
            cmdline = " ".join(process.cmdline())
            times = process.cpu_times()
        except psutil.Error:
            continue
        role = next((r for r, needle in ROLES if needle in cmdline), None)
        if role is not None:
            totals[role] += times.user + times.system
    return totals


VARIANTS: dict[str, dict[str, str]] = {
    "sqlite": {"AGENTFLOW_PREFECT_DATABASE": "sqlite"},
    "postgres": {"AGENTFLOW_PREFECT_DATABASE": "postgres"},
    "fast": {"AGENTFLOW_PREFECT_DATABASE": "postgres"},
}
# Agent settings per variant (default: the standard execution mode).
AGENT_SETTINGS: dict[str, dict[str, Any]] = {"fast": {"execution_mode": "fast"}}
FINAL = ("completed", "failed", "cancelled", "timed_out")


@dataclass
class Figures:
    variant: str
    concurrency: int
    accepted_per_s: float
    completed_during_load_per_s: float
    completed_per_s: float
    p50: float
    p99: float
    lost: int
    cpu_ms: dict[str, float]  # per completed execution, by process role
    completed: int = 0

    def row(self, baseline: Figures | None) -> str:
        ratio = self.completed_per_s / baseline.completed_per_s if baseline else 1.0
        return (
            f"| {self.variant} | {self.concurrency} | {self.accepted_per_s:.1f} | "
            f"{self.completed_during_load_per_s:.1f} | {self.completed_per_s:.1f} | "
            f"{self.completed_during_load_per_s / self.accepted_per_s:.2f} | {self.p50:.2f} s | "
            f"{self.p99:.2f} s | {self.lost} | {ratio:.2f} |"
        )


HEADER = (
    "| variant | clients | accepted/s | completed/s during load | completed/s to the last | "
    "completed/accepted | p50 | p99 | lost | completed/s vs first |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


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


def two_node_agent(settings: dict[str, Any] | None = None) -> dict[str, Any]:
    definition: dict[str, Any] = {
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
    if settings:
        definition["settings"] = settings
    return definition


async def measure(
    stack: BenchStack,
    variant: str,
    seconds: float,
    concurrency: int,
    definition: dict[str, Any] | None = None,
    body: bytes = b'{"n": 1}',
) -> Figures:
    """`concurrency` clients post to the agent's webhook for `seconds` (default agent: the 2-node one), then
    wait until every accepted request's execution has finished."""
    agent = await stack.agent(definition or two_node_agent(), name=f"webhook-{concurrency}")
    target = urlparse(agent["webhook_url"])
    assert target.hostname and target.port
    cpu_before = cpu_by_role(stack)
    started = time.time()
    load = await run_load(
        f"{variant} c={concurrency}",
        target.hostname,
        target.port,
        target.path,
        headers={"Content-Type": "application/json"},
        concurrency=concurrency,
        seconds=seconds,
        method="POST",
        body=body,
    )
    load_end = started + load.seconds
    accepted = load.requests - load.errors
    print(load.line(), flush=True)
    deadline = time.time() + 1800
    while True:
        runs = await executions_of(stack, agent["id"])
        done = [r for r in runs if r["status"] in FINAL]
        if len(done) >= accepted or time.time() > deadline:
            break
        print(f"  waiting: {len(done)}/{accepted} finished", flush=True)
        await asyncio.sleep(5)
    cpu_after = cpu_by_role(stack)
    completed = [r for r in runs if r["status"] == "completed"]
    if len(completed) < len(runs):  # say why, so a broken setup is not mistaken for a slow one
        example = next(r for r in runs if r not in completed)
        print(f"  not completed: {len(runs) - len(completed)}, e.g. {example}")
    ends = [datetime.fromisoformat(r["finished_at"]).timestamp() for r in completed]
    latencies = [
        (datetime.fromisoformat(r["finished_at"]) - datetime.fromisoformat(r["created_at"])).total_seconds()
        for r in completed
    ]
    return Figures(
        variant=variant,
        concurrency=concurrency,
        accepted_per_s=accepted / load.seconds,
        completed_during_load_per_s=sum(1 for end in ends if end <= load_end) / load.seconds,
        completed_per_s=len(completed) / (max(ends) - started),
        p50=statistics.median(latencies),
        p99=percentile(latencies, 99),
        lost=accepted - len(completed),
        completed=len(completed),
        cpu_ms={
            role: (cpu_after[role] - cpu_before[role]) * 1000 / max(len(completed), 1) for role in cpu_after
        },
    )


def run_variant(name: str, seconds: float, concurrencies: list[int]) -> list[Figures]:
    stack = BenchStack.start(env=VARIANTS[name])
    try:
        definition = two_node_agent(AGENT_SETTINGS.get(name))
        return [asyncio.run(measure(stack, name, seconds, c, definition)) for c in concurrencies]
    finally:
        stack.stop()


def run_from_command_line(
    doc: str | None,
    variants: Mapping[str, object],
    default_variants: str,
    run_variant: Callable[[str, float, list[int]], list[Figures]],
    default_concurrency: str = "20,100",
    agent: str = "2-node agent: webhook → logic.if",
) -> list[Figures]:
    """Parse the command line, run each variant, print the table (the first variant is the baseline)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", default=default_concurrency, help="comma-separated client counts")
    parser.add_argument(
        "--variants", default=default_variants, help=f"comma-separated: {', '.join(variants)}"
    )
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    names = args.variants.split(",")
    unknown = set(names) - set(variants)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    results = [figures for name in names for figures in run_variant(name, args.seconds, concurrencies)]
    print(f"\n{args.seconds:.0f} s of webhook load per line ({agent}):\n")
    print(HEADER)
    for figures in results:
        baseline = next(r for r in results if r.concurrency == figures.concurrency)
        print(figures.row(baseline))
    print("\nCPU per completed execution (ms), by process:\n")
    roles = [role for role, _ in ROLES]
    print("| variant | clients | " + " | ".join(roles) + " | total |")
    print("|---|---|" + "---|" * (len(roles) + 1))
    for f in results:
        cells = " | ".join(f"{f.cpu_ms[r]:.1f}" for r in roles)
        print(f"| {f.variant} | {f.concurrency} | {cells} | {sum(f.cpu_ms.values()):.1f} |")
    return results


def main() -> None:
    run_from_command_line(__doc__, VARIANTS, "sqlite,postgres", run_variant)
    print("\nreference: n8n publishes 220 executions/s for a webhook workflow on 2 vCPU")


if __name__ == "__main__":
    main()
