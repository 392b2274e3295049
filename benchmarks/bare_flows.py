"""Baselines in plain Prefect: the same work as an agent, as bare tasks in one flow."""

from __future__ import annotations

from prefect import flow, task


@task
async def trivial(index: int) -> int:
    return index


@flow(name="bare-tasks", persist_result=False, validate_parameters=False)
async def bare_tasks(count: int = 10) -> int:
    """`count` trivial tasks in a chain: what a linear agent of `count` nodes does, minus AgentFlow."""
    value = 0
    for index in range(count):
        value = await trivial(value + index)
    return value
