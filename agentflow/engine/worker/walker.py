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
        return await _Scope(self, members, outputs, loop=loop, suffix=suffix).run()


class _Scope:
    """One walk of a set of nodes (the top level, or one iteration of a loop body): which inputs each node
    still waits for, which of its incoming edges were taken, what is ready and what is running."""

    def __init__(
        self,
        walker: Walker,
        members: set[str],
        outputs: dict[str, Any],
        *,
        loop: LoopFrame | None,
        suffix: str,
    ) -> None:
        self.walker, self.outputs, self.loop, self.suffix = walker, outputs, loop, suffix
        self.rank = walker._rank.__getitem__
        self.edges = [e for e in walker.graph.forward_edges if e.source in members and e.target in members]
        self.waiting = {node_id: sum(1 for e in self.edges if e.target == node_id) for node_id in members}
        self.taken = dict.fromkeys(members, False)
        self.ready = sorted((n for n, count in self.waiting.items() if count == 0), key=self.rank)
        self.completed: list[str] = []
        self.running: dict[asyncio.Task[NodeResult], str] = {}
        self.failure: WalkFailed | None = None
        # A BaseException from a step (Prefect's Pause when an approval suspends the run, cancellation)
        # stops scheduling; steps already running finish, then it propagates.
        self.interrupt: BaseException | None = None

    async def run(self) -> list[str]:
        while self.ready or self.running:
            while self.ready and not self.stopping and len(self.running) < self.walker.max_parallel:
                self.start(self.ready.pop(0))
            if not self.running:
                break
            done = await self.wait()
            for task in sorted(done, key=lambda t: self.rank(self.running[t])):
                await self.settle(task)
            if self.stopping and not self.running:
                break
        if self.interrupt is not None:
            raise self.interrupt
        if self.failure is not None:
            raise self.failure
        return [n for n in self.completed if not any(e.source == n for e in self.edges)]

    @property
    def stopping(self) -> bool:
        return self.failure is not None or self.interrupt is not None

    def start(self, node_id: str) -> None:
        walker, outputs, suffix = self.walker, self.outputs, self.suffix
        scope = StepScope(
            key=node_id + suffix,
            loop=self.loop,
            outputs=outputs,
            run_loop_body=lambda loop_id, items: walker._run_loop_body(loop_id, items, outputs, suffix),
        )
        self.running[asyncio.ensure_future(walker.run_step(walker.graph.nodes[node_id], scope))] = node_id

    async def wait(self) -> set[asyncio.Task[NodeResult]]:
        try:
            done, _ = await asyncio.wait(self.running, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the run itself is being cancelled: stop every running step
            for pending in self.running:
                pending.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)
            raise
        return done

    async def settle(self, task: asyncio.Task[NodeResult]) -> None:
        """Take a finished step's outcome: its output and handles, its error handle, or the walk's end."""
        node_id = self.running.pop(task)
        if task.cancelled():
            self.interrupt = self.interrupt or asyncio.CancelledError()
            return
        error = task.exception()
        if error is None:
            result = task.result()
            await self.complete(node_id, result.output, result.handles)
        elif not isinstance(error, Exception):
            self.interrupt = self.interrupt or error
        elif isinstance(error, WalkFailed):  # a loop body failed inside this node
            self.failure = self.failure or error
        elif isinstance(error, StepError) and any(
            e.source == node_id and e.handle == ERROR_HANDLE for e in self.edges
        ):
            await self.complete(node_id, error.output, (ERROR_HANDLE,))
        else:
            step_error = (
                error if isinstance(error, StepError) else StepError(f"{type(error).__name__}: {error}")
            )
            self.failure = self.failure or WalkFailed(node_id + self.suffix, step_error)

    async def complete(self, node_id: str, output: Any, handles: tuple[str, ...]) -> None:
        self.outputs[node_id] = output
        self.completed.append(node_id)
        await self.resolve(node_id, handles)

    async def resolve(self, node_id: str, handles: tuple[str, ...] | None) -> None:
        """Mark the node's outgoing edges taken or not; decide targets whose inputs are all resolved."""
        for edge in (e for e in self.edges if e.source == node_id):
            if handles is not None and edge.handle in handles:
                self.taken[edge.target] = True
            self.waiting[edge.target] -= 1
            if self.waiting[edge.target] == 0:
                if self.taken[edge.target]:
                    self.ready.append(edge.target)
                    self.ready.sort(key=self.rank)
                else:
                    await self.walker.on_skip(self.walker.graph.nodes[edge.target], edge.target + self.suffix)
                    await self.resolve(edge.target, None)
