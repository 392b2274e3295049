"""Compares two definitions: nodes added, removed, changed (with field paths) or moved; edges; settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from agentflow.graph.definition import AgentDefinition, Edge
from agentflow.graph.parsing import parse_definition
from agentflow.templating import join_field


class NodeChange(BaseModel):
    """A node present in both versions whose settings differ."""

    node_id: str = Field(description="The node's id.")
    fields: list[str] = Field(description="Changed field paths, e.g. `config.prompt`, `retry.max_retries`.")


class DefinitionDiff(BaseModel):
    """What changed from version `a` to version `b`."""

    nodes_added: list[str] = Field(default_factory=list, description="Ids of nodes only in `b`.")
    nodes_removed: list[str] = Field(default_factory=list, description="Ids of nodes only in `a`.")
    nodes_changed: list[NodeChange] = Field(default_factory=list, description="Nodes whose settings changed.")
    nodes_moved: list[str] = Field(
        default_factory=list, description="Nodes whose canvas position changed (not a change in behaviour)."
    )
    edges_added: list[Edge] = Field(default_factory=list, description="Connections only in `b`.")
    edges_removed: list[Edge] = Field(default_factory=list, description="Connections only in `a`.")
    settings_changed: list[str] = Field(default_factory=list, description="Changed settings field paths.")

    @property
    def changes_behaviour(self) -> bool:
        """True unless the only differences are node positions."""
        return bool(
            self.nodes_added
            or self.nodes_removed
            or self.nodes_changed
            or self.edges_added
            or self.edges_removed
            or self.settings_changed
        )


def diff_definitions(
    a: AgentDefinition | Mapping[str, Any], b: AgentDefinition | Mapping[str, Any]
) -> DefinitionDiff:
    """Differences from `a` to `b`; defaults count as written (omitting a default value is no change)."""
    old = a if isinstance(a, AgentDefinition) else parse_definition(a)
    new = b if isinstance(b, AgentDefinition) else parse_definition(b)
    old_nodes = {node.id: _data(node) for node in old.nodes}
    new_nodes = {node.id: _data(node) for node in new.nodes}
    result = DefinitionDiff(
        nodes_added=[node_id for node_id in new_nodes if node_id not in old_nodes],
        nodes_removed=[node_id for node_id in old_nodes if node_id not in new_nodes],
        settings_changed=changed_paths(_data(old.settings), _data(new.settings)),
    )
    for node_id, before in old_nodes.items():
        after = new_nodes.get(node_id)
        if after is None:
            continue
        if before.pop("position", None) != after.pop("position", None):
            result.nodes_moved.append(node_id)
        if before.get("type") != after.get("type"):
            fields = ["type", "config"]  # configs of different types are not comparable field by field
        else:
            fields = changed_paths(before, after)
        if fields:
            result.nodes_changed.append(NodeChange(node_id=node_id, fields=fields))
    old_edges = {_edge_key(edge): edge for edge in old.edges}
    new_edges = {_edge_key(edge): edge for edge in new.edges}
    result.edges_added = [edge for key, edge in new_edges.items() if key not in old_edges]
    result.edges_removed = [edge for key, edge in old_edges.items() if key not in new_edges]
    return result


def changed_paths(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Field paths where two JSON values differ; lists of different lengths count as one change."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths: list[str] = []
        for key in [*before, *(key for key in after if key not in before)]:
            paths.extend(changed_paths(before.get(key), after.get(key), join_field(prefix, key)))
        return paths
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        paths = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            paths.extend(changed_paths(old, new, join_field(prefix, index)))
        return paths
    return [] if before == after else [prefix]


def _data(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def _edge_key(edge: Edge) -> tuple[str, str, str]:
    return edge.source, edge.handle, edge.target
