"""Latency on an idle stack: trigger → first step, trigger → done, approve → resume.

    python -m benchmarks.engine_latency [--runs 20]

Times come from AgentFlow's own records (the execution's creation, its first step's start, the approval
step's end), all stamped by the same Postgres clock. The baseline in the same run is Prefect's own floor:
creating a flow run of a deployment and having the same in-process worker run a one-task flow.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import datetime

from prefect.client.orchestration import PrefectClient

from benchmarks.stack import BenchStack, linear_agent, percentile


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def prefect_floor(stack: BenchStack, runs: int) -> list[float]:
    """Create a flow run of a one-task deployment and wait for it to complete (same worker, same pool)."""
    samples: list[float] = []
    async with PrefectClient(api=stack.prefect, auth_string=stack.prefect_auth) as prefect:
        flow_id = await prefect.create_flow_from_name("bare-tasks")
        deployment = await prefect.create_deployment(
            flow_id=flow_id,
            name="latency",
            work_pool_name="agentflow",
            entrypoint="benchmarks.bare_flows:bare_tasks",
            parameters={"count": 1},
            pull_steps=[],
            enforce_parameter_schema=False,
        )
        for index in range(runs + 2):
            started = time.perf_counter()
            run = await prefect.create_flow_run_from_deployment(deployment)
            while True:
                state = (await prefect.read_flow_run(run.id)).state
                if state is not None and state.is_final():
                    break
                await asyncio.sleep(0.01)
            if index >= 2:
                samples.append(time.perf_counter() - started)
    return samples


async def trigger_latency(stack: BenchStack, runs: int) -> tuple[list[float], list[float]]:
    agent = await stack.agent(linear_agent(2), name="latency")
    first: list[float] = []
    done: list[float] = []
    async with stack.client() as client:
        for index in range(runs + 2):
            started = time.perf_counter()
            execution_id = (await client.post(f"/agents/{agent['id']}/execute", json={"input": {}})).json()[
                "id"
            ]
            execution = await stack.wait(client, execution_id, ("completed", "failed"))
            elapsed = time.perf_counter() - started
            steps = (await client.get(f"/executions/{execution_id}/steps")).json()
            first_start = min(_at(step["started_at"]) for step in steps)
            if index >= 2:
                first.append((first_start - _at(execution["created_at"])).total_seconds())
                done.append(elapsed)
    return first, done


async def approval_latency(stack: BenchStack, runs: int) -> list[float]:
    definition = {
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"kind": "api"}},
            {"id": "ask", "type": "human.approval", "config": {"message": "ok?"}},
        ],
        "edges": [{"source": "start", "target": "ask"}],
    }
    agent = await stack.agent(definition, name="approval")
    samples: list[float] = []
    async with stack.client() as client:
        for _ in range(runs):
            execution_id = (await client.post(f"/agents/{agent['id']}/execute", json={"input": {}})).json()[
                "id"
            ]
            await stack.wait(client, execution_id, ("paused",))
            started = time.perf_counter()
            response = await client.post(f"/executions/{execution_id}/approve", json={"approved": True})
            assert response.status_code == 200, response.text
            while True:
                steps = {
                    s["step_key"]: s for s in (await client.get(f"/executions/{execution_id}/steps")).json()
                }
                if steps["ask"]["status"] == "completed":
                    break
                await asyncio.sleep(0.01)
            samples.append(time.perf_counter() - started)
    return samples


def line(label: str, values: list[float]) -> str:
    return (
        f"  {label:<34} p50 {statistics.median(values) * 1000:7.1f} ms   "
        f"p90 {percentile(values, 90) * 1000:7.1f} ms   (n={len(values)})"
    )


async def measure(stack: BenchStack, runs: int) -> None:
    floor = await prefect_floor(stack, runs)
    first, done = await trigger_latency(stack, runs)
    approvals = await approval_latency(stack, max(5, runs // 2))
    print("Idle stack, sequential runs:")
    print(line("Prefect floor (1-task flow run)", floor))
    print(line("trigger -> first step started", first))
    print(line("trigger -> execution completed", done))
    print(line("approve -> approval step resumed", approvals))
    print(
        f"  trigger->first step p50 {statistics.median(first) * 1000:.0f} ms (target < 300 ms); "
        f"trigger->done / Prefect floor = {statistics.median(done) / statistics.median(floor):.2f}; "
        f"approve->resume p50 {statistics.median(approvals) * 1000:.0f} ms (target < 1000 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    stack = BenchStack.start()
    try:
        asyncio.run(measure(stack, args.runs))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
