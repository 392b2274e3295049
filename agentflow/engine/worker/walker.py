"""Walks an agent's graph: ready nodes run concurrently, branch handles decide which edges are taken,
untaken nodes are skipped, loop bodies run once per item. How a step runs is injected (`StepRunner`):
the engine wraps each one in a Prefect task; tests can pass a plain coroutine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from agentflow.graph import AgentDefinition, AgentGraph, LoopFrame, Node
from agentflow.nodes.context import NodeResult
from agentflow.nodes.errors import StepError

ERROR_HANDLE = "error"


@dataclass(frozen=True)
class StepScope:
    """Where a step runs: its unique key (node id plus loop indexes), the loop frame, visible outputs."""

    key: str
    loop: LoopFrame | None
    outputs: Mapping[str, Any]
    run_loop_body: Callable[[str, list[Any]], Awaitable[list[Any]]]


StepRunner = Callable[[Node, StepScope], Awaitable[NodeResult]]
SkipRecorder = Callable[[Node, str], Awaitable[None]]


@dataclass
class WalkResult:
    status: Literal["completed", "failed"]
    outputs: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    failed_node: str | None = None
    error: str | None = None


class WalkFailed(Exception):
    def __init__(self, node_key: str, error: StepError) -> None:
        super().__init__(f"Step {node_key} failed: {error.message}")
        self.node_key = node_key
        self.error = error


class Walker:
    def __init__(
        self,
        definition: AgentDefinition,
        *,
        run_step: StepRunner,
        on_skip: SkipRecorder,
        max_parallel: int = 4,
    ) -> None:
        self.graph = AgentGraph(definition)
        self.run_step = run_step
        self.on_skip = on_skip
        self.max_parallel = max(1, max_parallel)
        self._rank = {node_id: rank for rank, node_id in enumerate(self.graph.topological_order())}
        nested = set().union(*self.graph.loop_bodies.values()) if self.graph.loop_bodies else set()
        self._top_level = set(self.graph.nodes) - nested

    async def run(self) -> WalkResult:
        outputs: dict[str, Any] = {}
        try:
            leaves = await self._run_scope(self._top_level, outputs, loop=None, suffix="")
        except WalkFailed as failed:
            return WalkResult(
                status="failed", outputs=outputs, failed_node=failed.node_key, error=failed.error.message
            )
        return WalkResult(status="completed", outputs=outputs, output={n: outputs[n] for n in leaves})

    def _members(self, loop_id: str) -> set[str]:
        """A loop body minus the bodies of loops nested in it (those run inside their own loop)."""
        body = set(self.graph.loop_bodies[loop_id])
        for inner, inner_body in self.graph.loop_bodies.items():
            if inner != loop_id and inner in body:
                body -= inner_body
        return body

    async def _run_loop_body(
        self, loop_id: str, items: list[Any], outer: Mapping[str, Any], suffix: str
    ) -> list[Any]:
        results: list[Any] = []
        members = self._members(loop_id)
        for index, item in enumerate(items):
            local = dict(outer)
            leaves = await self._run_scope(
                members, local, loop=LoopFrame(item=item, index=index), suffix=f"{suffix}[{index}]"
            )
            done = {node_id: local[node_id] for node_id in leaves}
            results.append(next(iter(done.values())) if len(done) == 1 else done)
        return results

    async def _run_scope(
        self, members: set[str], outputs: dict[str, Any], *, loop: LoopFrame | None, suffix: str
    ) -> list[str]:
        """Run one scope to the end; returns the completed nodes that have no successor in the scope."""
        edges = [e for e in self.graph.forward_edges if e.source in members and e.target in members]
        waiting = {node_id: sum(1 for e in edges if e.target == node_id) for node_id in members}
        taken = dict.fromkeys(members, False)
        ready = sorted((n for n, count in waiting.items() if count == 0), key=self._rank.__getitem__)
        completed: list[str] = []
        running: dict[asyncio.Task[NodeResult], str] = {}
        failure: WalkFailed | None = None
        # A BaseException from a step (Prefect's Pause when an approval suspends the run, cancellation) stops
        # scheduling; steps already running finish, then it propagates.
        interrupt: BaseException | None = None

        async def resolve(node_id: str, handles: tuple[str, ...] | None) -> None:
            """Mark the node's outgoing edges taken or not; decide targets whose inputs are all resolved."""
            for edge in (e for e in edges if e.source == node_id):
                if handles is not None and edge.handle in handles:
                    taken[edge.target] = True
                waiting[edge.target] -= 1
                if waiting[edge.target] == 0:
                    if taken[edge.target]:
                        ready.append(edge.target)
                        ready.sort(key=self._rank.__getitem__)
                    else:
                        await self.on_skip(self.graph.nodes[edge.target], edge.target + suffix)
                        await resolve(edge.target, None)

        def start(node_id: str) -> None:
            node = self.graph.nodes[node_id]
            scope = StepScope(
                key=node_id + suffix,
                loop=loop,
                outputs=outputs,
                run_loop_body=lambda loop_id, items: self._run_loop_body(loop_id, items, outputs, suffix),
            )
            running[asyncio.ensure_future(self.run_step(node, scope))] = node_id

        while ready or running:
            while ready and failure is None and interrupt is None and len(running) < self.max_parallel:
                start(ready.pop(0))
            if not running:
                break
            try:
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:  # the run itself is being cancelled: stop every running step
                for pending in running:
                    pending.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                raise
            for task in sorted(done, key=lambda t: self._rank[running[t]]):
                node_id = running.pop(task)
                if task.cancelled():
                    interrupt = interrupt or asyncio.CancelledError()
                    continue
                error = task.exception()
                if error is not None and not isinstance(error, Exception):
                    interrupt = interrupt or error
                elif error is None:
                    result = task.result()
                    outputs[node_id] = result.output
                    completed.append(node_id)
                    await resolve(node_id, result.handles)
                elif isinstance(error, WalkFailed):  # a loop body failed inside this node
                    failure = failure or error
                elif isinstance(error, StepError) and any(
                    e.source == node_id and e.handle == ERROR_HANDLE for e in edges
                ):
                    outputs[node_id] = error.output
                    completed.append(node_id)
                    await resolve(node_id, (ERROR_HANDLE,))
                elif isinstance(error, StepError):
                    failure = failure or WalkFailed(node_id + suffix, error)
                else:
                    failure = failure or WalkFailed(
                        node_id + suffix, StepError(f"{type(error).__name__}: {error}")
                    )
            if (failure is not None or interrupt is not None) and not running:
                break
        if interrupt is not None:
            raise interrupt
        if failure is not None:
            raise failure
        return [n for n in completed if not any(e.source == n for e in edges)]
