"""Run definitions through the walker with steps executed inline (no Prefect): the graph semantics."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from agentflow.egress import EgressPolicy, guarded_client
from agentflow.engine.worker import test_nodes
from agentflow.engine.worker.steps import execute_step, prepare_step
from agentflow.engine.worker.walker import StepScope, Walker, WalkResult
from agentflow.graph import Node, parse_definition
from agentflow.nodes.context import NodeContext, NodeResult
from tests.support.outside import Outside, outside_server


@dataclass
class Run:
    result: WalkResult
    events: list[tuple[str, str]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)

    def status(self, key: str) -> str | None:
        found = [kind for kind, k in self.events if k == key]
        return found[-1] if found else None


@pytest.fixture
def outside() -> Iterator[Outside]:
    with outside_server() as server:
        yield server


# The loopback "outside world" is a private destination an operator allowlisted, as tests/engine does.
LOOPBACK_ALLOWED = EgressPolicy.build("127.0.0.0/8")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The run's HTTP client, behind the egress guard, as the worker builds it."""
    async with guarded_client(LOOPBACK_ALLOWED) as client:
        yield client


@pytest.fixture
async def strict_http() -> AsyncIterator[httpx.AsyncClient]:
    """The guard with the default (empty) allowlist: only public addresses."""
    async with guarded_client(EgressPolicy.build("")) as client:
        yield client


async def walk(
    raw: dict[str, Any],
    http: httpx.AsyncClient,
    *,
    trigger_input: Any = None,
    env: dict[str, str] | None = None,
    preview: bool = False,
    test_options: dict[str, dict[str, Any]] | None = None,
) -> Run:
    definition = parse_definition(raw)
    trigger = definition.trigger
    assert trigger is not None
    execution_id = uuid.uuid4()
    base = NodeContext(
        execution_id=execution_id,
        org_id=uuid.uuid4(),
        http=http,
        trigger_input=trigger_input,
        preview=preview,
    )
    events: list[tuple[str, str]] = []
    inputs: dict[str, Any] = {}

    async def run_step(node: Node, scope: StepScope) -> NodeResult:
        events.append(("started", scope.key))
        try:
            step = prepare_step(
                node, scope, trigger_id=trigger.id, env=env or {}, execution_id=str(execution_id)
            )
            inputs[scope.key] = step.recorded
            option = (test_options or {}).get(node.id)
            ctx = test_nodes.node_context(base, option)
            result = await execute_step(node, step.config, scope, ctx, secrets=step.secrets)
            result = test_nodes.with_sample(result, option)
        except Exception:
            events.append(("failed", scope.key))
            raise
        events.append(("completed", scope.key))
        return result

    async def on_skip(node: Node, key: str) -> None:
        events.append(("skipped", key))

    walker = Walker(
        definition, run_step=run_step, on_skip=on_skip, max_parallel=definition.settings.max_parallel_nodes
    )
    return Run(result=await walker.run(), events=events, inputs=inputs)


def node(node_id: str, node_type: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "name": node_id, "config": config}


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    return {"source": source, "target": target, **({"source_handle": handle} if handle else {})}
