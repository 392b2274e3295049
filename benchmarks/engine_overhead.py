"""Per-node engine overhead: a 10-node linear agent vs. 10 bare Prefect tasks in one flow, same run.

    python -m benchmarks.engine_overhead [--runs 30]

Both run as flow runs of deployments on the same pool, executed by the same in-process worker of one
`agentflow up`, timed by Prefect itself (flow run start → end). Each is measured at 2 and 10 nodes: the slope
is the cost per node (rendering, the step record and event, the handler, the Prefect task), the rest is the
fixed cost of an execution (loading it, its secrets, its start and end records).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from prefect.client.orchestration import PrefectClient

from benchmarks.stack import BenchStack, linear_agent

NODES = 10
SMALL = 2


async def flow_seconds(prefect: PrefectClient, flow_run_id: str) -> float:
    while True:
        run = await prefect.read_flow_run(flow_run_id)  # type: ignore[arg-type]
        if run.state and run.state.is_final():
            assert run.state.is_completed(), run.state
            assert run.start_time and run.end_time
            return (run.end_time - run.start_time).total_seconds()
        await asyncio.sleep(0.02)


async def timings(stack: BenchStack, prefect: PrefectClient, nodes: int, runs: int) -> tuple[float, float]:
    """Median flow-run seconds of an agent of `nodes` nodes and of `nodes` bare tasks, alternating."""
    agent = await stack.agent(linear_agent(nodes), name=f"linear-{nodes}")
    flow_id = await prefect.create_flow_from_name("bare-tasks")
    bare_deployment = await prefect.create_deployment(
        flow_id=flow_id,
        name=f"bench-{nodes}",
        work_pool_name="agentflow",
        entrypoint="benchmarks.bare_flows:bare_tasks",
        parameters={"count": nodes},
        pull_steps=[],
        enforce_parameter_schema=False,
    )
    ours: list[float] = []
    bare: list[float] = []
    async with stack.client() as client:
        for index in range(runs + 3):  # the first 3 of each warm imports and caches
            bare_run = await prefect.create_flow_run_from_deployment(bare_deployment)
            bare_time = await flow_seconds(prefect, str(bare_run.id))
            execution_id = (await client.post(f"/agents/{agent['id']}/execute", json={"input": {}})).json()[
                "id"
            ]
            execution = await stack.wait(client, execution_id, ("completed", "failed"))
            assert execution["status"] == "completed", execution
            our_time = await flow_seconds(prefect, execution["prefect_flow_run_id"])
            if index >= 3:
                bare.append(bare_time)
                ours.append(our_time)
    return statistics.median(ours), statistics.median(bare)


async def measure(stack: BenchStack, runs: int) -> None:
    async with PrefectClient(api=stack.prefect, auth_string=stack.prefect_auth) as prefect:
        small_ours, small_bare = await timings(stack, prefect, SMALL, runs)
        big_ours, big_bare = await timings(stack, prefect, NODES, runs)
    # Per node = the slope between the two sizes; what stays is the fixed cost of an execution.
    ours_node = (big_ours - small_ours) / (NODES - SMALL) * 1000
    bare_node = (big_bare - small_bare) / (NODES - SMALL) * 1000
    ours_fixed = big_ours * 1000 - NODES * ours_node
    bare_fixed = big_bare * 1000 - NODES * bare_node
    print(f"{runs} runs per size, flow run start→end by Prefect's timestamps (medians):")
    print(f"  {NODES}-node agent {big_ours * 1000:7.1f} ms   {NODES} bare tasks {big_bare * 1000:7.1f} ms")
    print(
        f"  {SMALL}-node agent  {small_ours * 1000:7.1f} ms   {SMALL} bare tasks  {small_bare * 1000:7.1f} ms"
    )
    print(
        f"  per node:  agent {ours_node:5.2f} ms, bare task {bare_node:5.2f} ms, "
        f"ratio {ours_node / bare_node:.2f} (target <= 1.5)"
    )
    print(f"  per execution (fixed): agent {ours_fixed:5.1f} ms, bare flow {bare_fixed:5.1f} ms")
    print(f"  whole {NODES}-node run: ratio {big_ours / big_bare:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    stack = BenchStack.start()
    try:
        asyncio.run(measure(stack, args.runs))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
