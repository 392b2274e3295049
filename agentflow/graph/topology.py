"""Graph helpers for validation and the engine: loop bodies, upstream sets, topological order, variables."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from agentflow.graph.catalog import LOOP_BODY_HANDLE, LOOP_DONE_HANDLE
from agentflow.graph.definition import AgentDefinition, Edge, Node
from agentflow.graph.errors import DefinitionError
from agentflow.graph.outputs import Shape, output_fields
from agentflow.nodes.models import LoopNode


class Variable(BaseModel):
    """Something a node's templates may use, for the builder's variable picker."""

    root: str = Field(description="Node id, or `env` / `loop` / `execution`.")
    node_id: str | None = Field(description="The node producing the value; None for env/loop/execution.")
    node_type: str | None = Field(description="That node's type.")
    path: str = Field(description="Path after the root, e.g. `output.label` or a secret name.")
    shape: Shape = Field(description="JSON type of the value; `any` when unknown.")
    description: str = Field(default="", description="What the value is.")
    template: str = Field(description="The reference to insert, e.g. `{{classify.output.label}}`.")


class AgentGraph:
    """Index over a definition's nodes and edges. Edges naming unknown nodes and self-loops are ignored."""

    def __init__(self, definition: AgentDefinition) -> None:
        self.definition = definition
        self.nodes: dict[str, Node] = definition.node_map()
        self._rank = {node_id: rank for rank, node_id in enumerate(self.nodes)}
        self.edges: list[Edge] = [
            edge
            for edge in definition.edges
            if edge.source in self.nodes and edge.target in self.nodes and edge.source != edge.target
        ]
        self.loop_bodies: dict[str, frozenset[str]] = {
            node_id: self._body_of(node_id)
            for node_id, node in self.nodes.items()
            if isinstance(node, LoopNode)
        }
        self.forward_edges: list[Edge] = [edge for edge in self.edges if not self.is_back_edge(edge)]
        self._parents: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        self._children: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        for edge in self.forward_edges:
            self._parents[edge.target].append(edge.source)
            self._children[edge.source].append(edge.target)

    def _body_of(self, loop_id: str) -> frozenset[str]:
        """Nodes reachable from the loop's `body` handle without passing through the loop node again."""
        start = [
            edge.target for edge in self.edges if edge.source == loop_id and edge.handle == LOOP_BODY_HANDLE
        ]
        seen: set[str] = set()
        stack = [node_id for node_id in start if node_id != loop_id]
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            stack.extend(
                edge.target for edge in self.edges if edge.source == node_id and edge.target != loop_id
            )
        return frozenset(seen)

    def is_back_edge(self, edge: Edge) -> bool:
        """True for an edge from inside a loop's body back into that loop node (the one allowed cycle)."""
        return edge.target in self.loop_bodies and edge.source in self.loop_bodies[edge.target]

    def successors(self, node_id: str, handle: str | None = None) -> list[str]:
        """Targets of the node's edges (back edges included), optionally only those leaving `handle`."""
        return [
            edge.target
            for edge in self.edges
            if edge.source == node_id and (handle is None or edge.handle == handle)
        ]

    def successors_by_handle(self, node_id: str) -> dict[str, list[str]]:
        """Targets of the node's edges grouped by the handle they leave from, in edge order."""
        grouped: dict[str, list[str]] = {}
        for edge in self.edges:
            if edge.source == node_id:
                grouped.setdefault(edge.handle, []).append(edge.target)
        return grouped

    def _walk(self, start: Iterable[str], step: dict[str, list[str]]) -> set[str]:
        seen: set[str] = set()
        stack = list(start)
        while stack:
            node_id = stack.pop()
            if node_id not in seen:
                seen.add(node_id)
                stack.extend(step[node_id])
        return seen

    def upstream(self, node_id: str) -> set[str]:
        """Every node with a path to this one, not counting paths around a loop."""
        return self._walk(self._parents[node_id], self._parents)

    def reachable_from(self, node_id: str) -> set[str]:
        """The node and everything reachable from it along any edge."""
        return self._walk([node_id], self._children) | {node_id}

    def enclosing_loops(self, node_id: str) -> list[str]:
        """Loops whose body holds the node, innermost first."""
        loops = [loop_id for loop_id, body in self.loop_bodies.items() if node_id in body]
        return sorted(loops, key=lambda loop_id: len(self.loop_bodies[loop_id]))

    def cycles(self) -> list[list[str]]:
        """Groups of nodes forming a cycle other than through a loop body (strongly connected components)."""
        order: list[str] = []
        seen: set[str] = set()
        for root in self.nodes:  # first pass: finishing order, iteratively
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, iter(self._children[root]))]
            while stack:
                node_id, children = stack[-1]
                child = next((c for c in children if c not in seen), None)
                if child is None:
                    stack.pop()
                    order.append(node_id)
                else:
                    seen.add(child)
                    stack.append((child, iter(self._children[child])))
        assigned: set[str] = set()
        groups: list[list[str]] = []
        for root in reversed(order):  # second pass on the reversed graph
            if root in assigned:
                continue
            component: set[str] = set()
            stack_ids = [root]
            while stack_ids:
                node_id = stack_ids.pop()
                if node_id not in assigned and node_id not in component:
                    component.add(node_id)
                    stack_ids.extend(self._parents[node_id])
            assigned |= component
            if len(component) > 1:
                groups.append(sorted(component, key=self._rank.__getitem__))
        return sorted(groups, key=lambda group: self._rank[group[0]])

    def topological_order(self) -> list[str]:
        """Node ids so that every edge points forward (Kahn; ties in definition order).

        A loop's body comes after the loop node, and what follows its `done` handle comes after the body.
        Raises DefinitionError if the graph has a cycle outside loop bodies.
        """
        children = {node_id: list(targets) for node_id, targets in self._children.items()}
        for loop_id, body in self.loop_bodies.items():
            after = [
                edge.target
                for edge in self.forward_edges
                if edge.source == loop_id and edge.handle == LOOP_DONE_HANDLE
            ]
            for body_node in body:
                children[body_node].extend(target for target in after if target not in body)
        indegree = {node_id: 0 for node_id in self.nodes}
        for targets in children.values():
            for target in targets:
                indegree[target] += 1
        ready = [(self._rank[node_id], node_id) for node_id, count in indegree.items() if count == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, node_id = heapq.heappop(ready)
            order.append(node_id)
            for target in children[node_id]:
                indegree[target] -= 1
                if indegree[target] == 0:
                    heapq.heappush(ready, (self._rank[target], target))
        if len(order) != len(self.nodes):
            placed = set(order)
            stuck = [node_id for node_id in self.nodes if node_id not in placed]
            raise DefinitionError(f"the graph has a cycle outside loop bodies through: {', '.join(stuck)}")
        return order

    def loop_body(self, loop_id: str) -> list[str]:
        """The body of a loop in execution order."""
        body = self.loop_bodies[loop_id]
        return [node_id for node_id in self.topological_order() if node_id in body]

    def available_variables(self, node_id: str, *, env_names: Iterable[str] = ()) -> list[Variable]:
        """What the node's templates may reference: upstream outputs with shapes, env, loop, execution."""
        loops = self.enclosing_loops(node_id)
        upstream = self.upstream(node_id) - set(loops)  # a loop's own output exists only after its body
        found: list[Variable] = []
        for source_id in self.topological_order_or_definition():
            if source_id not in upstream:
                continue
            node = self.nodes[source_id]
            for field in output_fields(node):
                found.append(
                    Variable(
                        root=source_id,
                        node_id=source_id,
                        node_type=node.type,
                        path=field.path,
                        shape=field.shape,
                        description=field.description,
                        template=f"{{{{{source_id}.{field.path}}}}}",
                    )
                )
        for name in sorted(set(env_names)):
            found.append(_special("env", name, "string", "Org secret, masked in every record."))
        if loops:
            found.append(_special("loop", "item", "any", f"Current item of loop '{loops[0]}'."))
            found.append(_special("loop", "index", "integer", "Index of the current item, from 0."))
        found.append(_special("execution", "id", "string", "Id of the running execution."))
        return found

    def topological_order_or_definition(self) -> list[str]:
        """Topological order, or definition order when the graph has a cycle (for best-effort listings)."""
        try:
            return self.topological_order()
        except DefinitionError:
            return list(self.nodes)


def _special(
    root: Literal["env", "loop", "execution"], path: str, shape: Shape, description: str
) -> Variable:
    return Variable(
        root=root,
        node_id=None,
        node_type=None,
        path=path,
        shape=shape,
        description=description,
        template=f"{{{{{root}.{path}}}}}",
    )


def upstream(definition: AgentDefinition, node_id: str) -> set[str]:
    """Ids of the nodes with a path to `node_id` (paths around a loop do not count)."""
    return AgentGraph(definition).upstream(node_id)


def topological_order(definition: AgentDefinition) -> list[str]:
    """Node ids in an order where every edge (except a loop body's edge back) points forward."""
    return AgentGraph(definition).topological_order()


def successors_by_handle(definition: AgentDefinition, node_id: str) -> dict[str, list[str]]:
    """Targets of the node's edges grouped by output handle."""
    return AgentGraph(definition).successors_by_handle(node_id)


def loop_body(definition: AgentDefinition, loop_id: str) -> list[str]:
    """The nodes a loop runs per item, in order."""
    return AgentGraph(definition).loop_body(loop_id)


def available_variables(
    definition: AgentDefinition, node_id: str, *, env_names: Iterable[str] = ()
) -> list[Variable]:
    """What `node_id`'s templates may reference, with known shapes (for the builder's variable picker)."""
    return AgentGraph(definition).available_variables(node_id, env_names=env_names)
