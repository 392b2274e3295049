"""Per-node-type config rules beyond the models' shapes; each node type keeps its own in its spec."""

from __future__ import annotations

from collections.abc import Set

from agentflow.graph.definition import Node
from agentflow.nodes.registry import spec_for
from agentflow.nodes.spec import Finding
from agentflow.nodes.trigger.spec import cron_problem, timezone_problem

__all__ = ["Finding", "check_node", "cron_problem", "timezone_problem"]


def check_node(node: Node, *, known_env: Set[str] | None) -> list[Finding]:
    """Config rules for this node's type."""
    return spec_for(node.type).check(node, known_env)
