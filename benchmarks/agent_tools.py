"""Overhead of the AI node's tool loop over the raw round trips it makes, and of an integration action's
request over a bare httpx call.

    nice -n 19 python -m benchmarks.agent_tools [--calls 100] [--rounds 5]

One process, one run at a time, against a loopback server (`benchmarks/agent_tools_server.py`, a separate
uvicorn process) speaking OpenAI's wire format and serving the tool; alternating rounds cancel drift.

- **raw loop**: what the loop sends, by hand: three `AsyncOpenAI` chat calls (the conversation growing by
  the assistant's two tool calls and their results each time) and the four tool requests with bare httpx,
  two at a time;
- **AI node loop**: `AIHandler.run` on a chat node with an `http` tool: two tool rounds of two parallel
  calls, then the answer (the engine's child-step records are not included: each adds the two step writes
  a node step costs, see docs/performance.md);
- **ActionCall.request** against **bare httpx**: one authenticated GET to the same tool endpoint through the
  integrations contract (auth headers, egress guard, status handling, body parsing) and without it.

Prints p50/p90 per run, the difference per tool call (target < 10 ms) and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from openai import AsyncOpenAI

from agentflow.egress import EgressPolicy, guarded_client
from agentflow.embedded.ports import free_port, wait_for_port
from agentflow.integrations.base import ActionCall, Connection, IntegrationTool
from agentflow.nodes.ai.handler import AIHandler
from agentflow.nodes.ai.model import AiNode
from agentflow.nodes.context import NodeContext
from agentflow.providers import InMemoryCredentials, ProviderConfig, Router

ORG = uuid.uuid4()
TOOL_CALLS = 4  # two rounds of two
LOOPBACK = EgressPolicy.build("127.0.0.0/8")


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "benchmarks.agent_tools_server:app", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port("127.0.0.1", port, 30):
        proc.kill()
        raise SystemExit("the loopback server did not start")
    return proc, f"http://127.0.0.1:{port}"


@dataclass
class Series:
    label: str
    call: Callable[[], Awaitable[object]]
    wall_ms: list[float] = field(default_factory=list)

    async def round(self, calls: int) -> None:
        for _ in range(calls):
            wall = time.perf_counter()
            await self.call()
            self.wall_ms.append((time.perf_counter() - wall) * 1000)

    def p(self, q: int) -> float:
        return statistics.quantiles(self.wall_ms, n=100)[q - 1]


class BenchTool(IntegrationTool):
    name = "bench"
    label = "Bench"
    description = "A REST API on loopback."
    auth_kinds = ("api_key",)
    api_base = ""


TOOL_SPEC = {
    "type": "http",
    "name": "lookup",
    "description": "Looks something up.",
    "method": "GET",
    "auth": {"type": "bearer", "secret": "BENCH_TOKEN"},
    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
}


async def main(calls: int, rounds: int) -> None:
    proc, base = start_server()
    try:
        raw_client = AsyncOpenAI(api_key="sk-bench", base_url=f"{base}/v1", max_retries=0, timeout=30)
        bare = httpx.AsyncClient(timeout=30)
        router = Router(
            InMemoryCredentials({ORG: [ProviderConfig("openai", api_key="sk-bench", base_url=f"{base}/v1")]}),
            egress=LOOPBACK,
        )
        http = guarded_client(LOOPBACK)
        ctx = NodeContext(
            execution_id=uuid.uuid4(),
            org_id=ORG,
            http=http,
            router=router,
            env={"BENCH_TOKEN": "bench-token"},
        )
        node = AiNode.model_validate(
            {
                "id": "agent",
                "type": "ai",
                "config": {
                    "model": "gpt-4o-mini",
                    "prompt": "Look things up.",
                    "tools": [{**TOOL_SPEC, "url": f"{base}/lookup"}],
                },
            }
        )
        config = node.config.model_dump(mode="json", by_alias=True)
        handler = AIHandler()
        tools = [
            {
                "type": "function",
                "function": {
                    "name": "lookup",
                    "description": "Looks something up.",
                    "parameters": TOOL_SPEC["parameters"],
                },
            }
        ]
        auth = {"Authorization": "Bearer bench-token"}

        async def raw_loop() -> object:
            messages: list[dict[str, Any]] = [{"role": "user", "content": "Look things up."}]
            for _ in range(3):
                answer = await raw_client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=messages,  # type: ignore[arg-type]
                    tools=tools,  # type: ignore[arg-type]
                )
                message = answer.choices[0].message
                if not message.tool_calls:
                    return message.content
                messages.append(message.model_dump(exclude_none=True))
                replies = await asyncio.gather(
                    *(
                        bare.get(f"{base}/lookup", params=json.loads(c.function.arguments), headers=auth)  # type: ignore[union-attr]
                        for c in message.tool_calls
                    )
                )
                for c, reply in zip(message.tool_calls, replies, strict=True):
                    messages.append({"role": "tool", "tool_call_id": c.id, "content": reply.text})
            return None

        async def node_loop() -> object:
            result = await handler.run(node, config, ctx)
            assert result.output["stopped"] == "answer" and len(result.output["tool_calls"]) == TOOL_CALLS
            return result

        action = ActionCall(
            tool=BenchTool(),
            connection=Connection(id="c1", provider="bench", name="bench", config={}),
            http=http,
            api_base=base,
            credentials={"token": "bench-token"},
        )

        async def action_request() -> object:
            return await action.request("GET", "/lookup", params={"q": "x"})

        async def bare_request() -> object:
            return (await bare.get(f"{base}/lookup", params={"q": "x"}, headers=auth)).json()

        loops = [Series("raw loop (3 SDK + 4 httpx)", raw_loop), Series("AI node loop", node_loop)]
        single = [Series("bare httpx GET", bare_request), Series("ActionCall.request", action_request)]
        for item in [*loops, *single]:  # warm up connections, caches and lazy imports
            await item.round(20)
            item.wall_ms.clear()
        for _ in range(rounds):
            for item in loops:
                await item.round(calls)
            for item in single:
                await item.round(calls * 3)
        await raw_client.close()
        await bare.aclose()
        await http.aclose()
        await router.aclose()
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    print(f"{calls} loops x {rounds} alternating rounds, one at a time, loopback server\n")
    print(f"{'target':<28} {'p50 ms':>8} {'p90 ms':>8} {'p50 - base':>11} {'ratio':>6}")
    for group in (loops, single):
        baseline = group[0].p(50)
        for item in group:
            p50 = item.p(50)
            print(
                f"{item.label:<28} {p50:8.3f} {item.p(90):8.3f} {p50 - baseline:+11.3f} {p50 / baseline:6.2f}"
            )
    per_call = (loops[1].p(50) - loops[0].p(50)) / TOOL_CALLS
    verdict = "met" if per_call < 10 else "NOT met"
    print(
        f"\nTool loop overhead at p50: {per_call:.3f} ms per tool call over the raw round trips "
        f"(target < 10 ms: {verdict}); ratio {loops[1].p(50) / loops[0].p(50):.2f}"
    )
    action_overhead = single[1].p(50) - single[0].p(50)
    print(
        f"Integration action overhead at p50: {action_overhead:.3f} ms per request over bare httpx; "
        f"ratio {single[1].p(50) / single[0].p(50):.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))
