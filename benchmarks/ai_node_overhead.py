"""Per-call overhead of the AI node path (handler + rendering + router + operation) over the raw SDK call.

    python -m benchmarks.ai_node_overhead [--calls 300] [--rounds 5]

Both run in the same process, one call at a time, against the same loopback OpenAI server (a separate
uvicorn process, `benchmarks/fake_openai.py`), alternating rounds to cancel machine drift:

- **raw**: `AsyncOpenAI.chat.completions.create` with the same messages the node sends;
- **node chat**: `AINodeHandler.run` on a chat node whose prompt has two `{{…}}` references;
- **node classify**: the same for a classify node (instructor, forced tool call, validation), for reference.

Prints p50/p90 wall time and CPU time per call for each, and the node-minus-raw difference and ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from openai import AsyncOpenAI

from agentflow.egress import EgressPolicy
from agentflow.nodes.ai.step import AINodeHandler, StepContext
from agentflow.providers import InMemoryCredentials, ProviderConfig, Router
from agentflow.templating import build_context
from benchmarks.fake_openai import start_fake_openai

ORG = uuid.uuid4()
TICKET = {"body": {"title": "Crash on save", "text": "The app crashes when I click save."}}
SYSTEM = "You triage support tickets."
PROMPT = "Ticket {{trigger.output.body.title}}: {{trigger.output.body.text}}"
RENDERED = "Ticket Crash on save: The app crashes when I click save."


@dataclass
class Series:
    label: str
    call: Callable[[], Awaitable[object]]
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    async def round(self, calls: int) -> None:
        for _ in range(calls):
            cpu, wall = time.process_time(), time.perf_counter()
            await self.call()
            self.wall_ms.append((time.perf_counter() - wall) * 1000)
            self.cpu_ms.append((time.process_time() - cpu) * 1000)

    def p(self, values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1]


async def main(calls: int, rounds: int) -> None:
    proc, base_url = start_fake_openai()
    try:
        raw_client = AsyncOpenAI(api_key="sk-bench", base_url=base_url, max_retries=0, timeout=30)
        router = Router(
            InMemoryCredentials({ORG: [ProviderConfig("openai", api_key="sk-bench", base_url=base_url)]}),
            egress=EgressPolicy.build("127.0.0.0/8"),  # the benchmark's server is on loopback
        )
        handler = AINodeHandler()
        ctx = StepContext(
            org_id=ORG, router=router, template_context=build_context({"start": TICKET}, trigger_id="start")
        )
        chat_node = {"operation": "chat", "model": "gpt-4o-mini", "system": SYSTEM, "prompt": PROMPT}
        classify_node = {**chat_node, "operation": "classify", "labels": ["bug", "question", "billing"]}
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": RENDERED}]

        async def raw() -> object:
            return await raw_client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # type: ignore[arg-type]

        async def node_chat() -> object:
            return await handler.run(chat_node, ctx)

        async def node_classify() -> object:
            return await handler.run(classify_node, ctx)

        series = [
            Series("raw SDK call", raw),
            Series("AI node, chat", node_chat),
            Series("AI node, classify", node_classify),
        ]
        for item in series:  # warm up connections, caches and lazy imports
            await item.round(50)
            item.wall_ms.clear()
            item.cpu_ms.clear()
        for _ in range(rounds):
            for item in series:
                await item.round(calls)
        await raw_client.close()
        await router.aclose()
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    raw_series = series[0]
    raw_p50, raw_cpu = raw_series.p(raw_series.wall_ms, 50), statistics.median(raw_series.cpu_ms)
    print(f"{calls} calls x {rounds} alternating rounds per target, one at a time, loopback OpenAI server\n")
    print(f"{'target':<20} {'p50 ms':>8} {'p90 ms':>8} {'CPU/call ms':>12} {'p50 - raw':>10} {'ratio':>6}")
    for item in series:
        p50, p90 = item.p(item.wall_ms, 50), item.p(item.wall_ms, 90)
        cpu = statistics.median(item.cpu_ms)
        print(
            f"{item.label:<20} {p50:8.3f} {p90:8.3f} {cpu:12.3f} {p50 - raw_p50:+10.3f} {p50 / raw_p50:6.2f}"
        )
    chat = series[1]
    overhead = chat.p(chat.wall_ms, 50) - raw_p50
    verdict = "met" if overhead < 5 else "NOT met"
    print(
        f"\nAI node (chat) overhead at p50: {overhead:.3f} ms per call (target < 5 ms: {verdict}); "
        f"CPU {statistics.median(chat.cpu_ms) - raw_cpu:+.3f} ms per call"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))
