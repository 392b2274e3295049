"""The known shape of each node type's output (the contract's output column); each node type declares its
own in its spec."""

from __future__ import annotations

from agentflow.graph.definition import Node
from agentflow.nodes.registry import spec_for
from agentflow.nodes.spec import OutputField, Shape

__all__ = ["OutputField", "Shape", "closed_output_keys", "output_fields"]


def output_fields(node: Node) -> list[OutputField]:
    """The known paths under the node's output with their shapes."""
    return spec_for(node.type).outputs(node)


def closed_output_keys(node: Node) -> frozenset[str] | None:
    """The only keys the node's output can have, or None when it is open (user data, schemas, results)."""
    return spec_for(node.type).closed_outputs(node)
