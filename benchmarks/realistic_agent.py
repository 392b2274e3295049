"""A realistic agent under load: webhook → AI node (a loopback OpenAI answering after 500 ms) → HTTP action.

    python -m benchmarks.realistic_agent [--seconds 60] [--concurrency 200] [--variants standard,fast]

Waiting on a model must not cap throughput: many executions wait at once on each worker. For each execution
mode (a fresh `agentflow up` each, one after the other in the same run) this prints the webhook benchmark's
table (benchmarks/webhook_throughput.py's `measure`: nothing lost, p50/p99 trigger→completion, accepted/s and
completed/s; the first variant is the baseline of the ratios), plus, sampled every 2 s during the load:

- **in flight**: the most executions running at once (all of them waiting on the model, nearly);
- **worker memory per in-flight execution**: (the worker processes' RSS at that moment - their RSS before the
  load) / the executions in flight then;

and checks that the HTTP action really ran once per completed execution (the receiver counts its requests).
The fake model server and the receiver each run in their own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx
import psutil

from agentflow.embedded.ports import free_port, wait_for_port
from benchmarks.fake_openai import start_fake_openai
from benchmarks.stack import BenchStack
from benchmarks.webhook_throughput import Figures, measure, run_from_command_line

MODEL_SECONDS = 0.5
VARIANTS: dict[str, dict[str, Any]] = {"standard": {}, "fast": {"execution_mode": "fast"}}
MIB = 1024 * 1024
TICKET = json.dumps({"title": "Crash on save", "text": "The app crashes when I click save."}).encode()


def realistic_agent(receiver: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"kind": "webhook"}},
            {
                "id": "triage",
                "type": "ai",
                "config": {
                    "operation": "chat",
                    "model": "gpt-4o-mini",
                    "system": "You triage support tickets.",
                    "prompt": "Ticket {{trigger.output.body.title}}: {{trigger.output.body.text}}",
                },
            },
            {
                "id": "file",
                "type": "action.http",
                "config": {"method": "POST", "url": receiver, "json": {"triage": "{{triage.output.text}}"}},
            },
        ],
        "edges": [{"source": "start", "target": "triage"}, {"source": "triage", "target": "file"}],
        "settings": settings,
    }


def worker_rss(stack: BenchStack) -> int:
    total = 0
    for process in psutil.Process(stack.process.pid).children(recursive=True):
        try:
            if "agentflow.engine.worker" in " ".join(process.cmdline()):
                total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


async def running_count(client: httpx.AsyncClient) -> int:
    count, cursor = 0, None
    while True:
        params: dict[str, Any] = {"status": "running", "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/executions", params=params)).json()
        count += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return count


@dataclass
class InFlight:
    peak: int = 0
    rss_at_peak: int = 0
    idle_rss: int = 0

    def per_execution_mib(self) -> float:
        return (self.rss_at_peak - self.idle_rss) / max(self.peak, 1) / MIB


async def sample(stack: BenchStack, found: InFlight, stop: asyncio.Event) -> None:
    async with stack.client() as client:
        while not stop.is_set():
            running = await running_count(client)
            if running > found.peak:
                found.peak, found.rss_at_peak = running, worker_rss(stack)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=2)


async def received(receiver: str) -> int:
    async with httpx.AsyncClient() as client:
        return int((await client.get(receiver.replace("/hook", "/stats"))).json()["count"])


async def measure_realistic(
    stack: BenchStack, name: str, seconds: float, concurrency: int, receiver: str
) -> tuple[Figures, InFlight, int]:
    found = InFlight(idle_rss=worker_rss(stack))
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample(stack, found, stop))
    before = await received(receiver)
    try:
        figures = await measure(
            stack, name, seconds, concurrency, realistic_agent(receiver, VARIANTS[name]), TICKET
        )
    finally:
        stop.set()
        await sampler
    sent = await received(receiver) - before
    return figures, found, sent


def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.webhook_receiver", str(port)])
    if not wait_for_port("127.0.0.1", port, 30):
        proc.kill()
        raise SystemExit("the receiver did not start")
    return proc, f"http://127.0.0.1:{port}/hook"


async def configure_provider(stack: BenchStack, base_url: str) -> None:
    async with stack.client() as client:
        response = await client.post(
            "/org/providers",
            json={
                "provider": "openai",
                "api_key": "sk-bench",
                "base_url": base_url,
                "default_model": "gpt-4o-mini",
            },
        )
        response.raise_for_status()


# Filled by run_variant: variant, clients, what was sampled, executions completed, HTTP actions received.
IN_FLIGHT: list[tuple[str, int, InFlight, int, int]] = []


def run_variant(name: str, seconds: float, concurrencies: list[int]) -> list[Figures]:
    model, base_url = start_fake_openai(delay_seconds=MODEL_SECONDS)
    receiver_proc, receiver = start_receiver()
    stack = BenchStack.start(timeout=600)
    try:
        asyncio.run(configure_provider(stack, base_url))
        results = []
        for clients in concurrencies:
            figures, found, sent = asyncio.run(measure_realistic(stack, name, seconds, clients, receiver))
            IN_FLIGHT.append((name, clients, found, figures.completed, sent))
            results.append(figures)
        return results
    finally:
        stack.stop()
        for proc in (model, receiver_proc):
            proc.terminate()
            proc.wait(timeout=20)


def main() -> None:
    run_from_command_line(
        __doc__,
        VARIANTS,
        "standard,fast",
        run_variant,
        default_concurrency="200",
        agent="webhook → AI node → HTTP action",
    )
    print(f"\nIn flight (the model answers after {MODEL_SECONDS * 1000:.0f} ms), sampled every 2 s:\n")
    print("| variant | clients | most in flight | MiB per execution in flight | completed | HTTP actions |")
    print("|---|---|---|---|---|---|")
    for name, clients, found, completed, sent in IN_FLIGHT:
        print(
            f"| {name} | {clients} | {found.peak} | {found.per_execution_mib():.2f} | {completed} | {sent} |"
        )


if __name__ == "__main__":
    main()
