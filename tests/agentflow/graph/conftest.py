"""Small builders for agent definitions, handed to tests as the `build` fixture.

They go through a fixture rather than `from conftest import …` so that other conftest.py files in the
tree (this layout has no __init__.py) can never shadow them.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from agentflow.graph import Issue, ValidationReport

DATA = Path(__file__).parent / "data"


def trigger(node_id: str = "start", **config: Any) -> dict[str, Any]:
    """A trigger node (manual unless `kind` is given)."""
    return {"id": node_id, "type": "trigger", "name": "Start", "config": config}


def node(node_id: str, node_type: str, **config: Any) -> dict[str, Any]:
    """Any node with the given config."""
    return {"id": node_id, "type": node_type, "name": node_id.title(), "config": config}


def ai(node_id: str, prompt: str = "Say hi", **config: Any) -> dict[str, Any]:
    """An ai chat node."""
    return node(node_id, "ai", prompt=prompt, **config)


def http(node_id: str, url: str = "https://example.test/hook", **config: Any) -> dict[str, Any]:
    """An action.http node."""
    return node(node_id, "action.http", url=url, **config)


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    """An edge, with a source handle when given."""
    found: dict[str, Any] = {"source": source, "target": target}
    if handle is not None:
        found["source_handle"] = handle
    return found


def definition(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    """A raw definition document."""
    raw: dict[str, Any] = {"nodes": nodes, "edges": edges}
    if settings:
        raw["settings"] = settings
    return raw


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    """Nodes connected one after the other through default handles."""
    return definition(list(nodes), [edge(a["id"], b["id"]) for a, b in itertools.pairwise(nodes)])


def only(report: ValidationReport, code: str, *, severity: str = "error") -> Issue:
    """The single issue with this code (and severity); fails listing everything found otherwise."""
    pool = report.errors if severity == "error" else report.warnings
    found = [issue for issue in pool if issue.code == code]
    assert len(found) == 1, (
        f"expected one {severity} {code!r}, got: {[i.message for i in [*report.errors, *report.warnings]]}"
    )
    return found[0]


def assert_names(issue: Issue, node_id: str, field: str | None) -> None:
    """The issue points at the node and field, and its message says so in words."""
    assert issue.node_id == node_id
    assert issue.field == field
    assert f"'{node_id}'" in issue.message
    if field is not None:
        assert field in issue.message


class Builders:
    """The helpers above, as attributes of the `build` fixture."""

    trigger = staticmethod(trigger)
    node = staticmethod(node)
    ai = staticmethod(ai)
    http = staticmethod(http)
    edge = staticmethod(edge)
    definition = staticmethod(definition)
    chain = staticmethod(chain)
    only = staticmethod(only)
    assert_names = staticmethod(assert_names)


@pytest.fixture
def build() -> Builders:
    """Builders for raw definitions and report assertions."""
    return Builders()


@pytest.fixture
def contract_example() -> dict[str, Any]:
    """The example definition from the contract (AGENT_DEFINITION.md)."""
    data: dict[str, Any] = json.loads((DATA / "contract_example.json").read_text(encoding="utf-8"))
    return data
