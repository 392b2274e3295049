"""Topological order with branches and loops, upstream sets, handles and the variable picker."""

from __future__ import annotations

from typing import Any

import pytest

from agentflow.graph import (
    AgentGraph,
    DefinitionError,
    available_variables,
    loop_body,
    parse_definition,
    successors_by_handle,
    topological_order,
    upstream,
)


@pytest.fixture
def branching(build: Any) -> Any:
    """start → classify → check —true→ urgent → notify; check —false→ later → notify."""
    condition = [{"left": "{{classify.output.label}}", "op": "eq", "right": "bug"}]
    return parse_definition(
        build.definition(
            [
                build.node("notify", "action.webhook", url="https://hooks.test/x"),  # listed first on purpose
                build.trigger(),
                build.ai("classify", operation="classify", labels=["bug", "other"]),
                build.node("check", "logic.if", conditions=condition),
                build.ai("urgent"),
                build.ai("later"),
            ],
            [
                build.edge("start", "classify"),
                build.edge("classify", "check"),
                build.edge("check", "urgent", "true"),
                build.edge("check", "later", "false"),
                build.edge("urgent", "notify"),
                build.edge("later", "notify"),
            ],
        )
    )


@pytest.fixture
def looping(build: Any) -> Any:
    """start → fetch → each —body→ a → b → each (back edge); each —done→ report."""
    return parse_definition(
        build.definition(
            [
                build.trigger(),
                build.http("fetch"),
                build.node("each", "logic.loop", items="{{fetch.output.body}}"),
                build.ai("report", prompt="{{each.output.results}}"),
                build.ai("a", prompt="{{loop.item}}"),
                build.ai("b", prompt="{{a.output.text}}"),
            ],
            [
                build.edge("start", "fetch"),
                build.edge("fetch", "each"),
                build.edge("each", "a", "body"),
                build.edge("a", "b"),
                build.edge("b", "each"),
                build.edge("each", "report", "done"),
            ],
        )
    )


def test_topological_order_with_branches(branching: Any) -> None:
    assert topological_order(branching) == ["start", "classify", "check", "urgent", "later", "notify"]


def test_topological_order_runs_loop_body_before_done_branch(looping: Any) -> None:
    assert topological_order(looping) == ["start", "fetch", "each", "a", "b", "report"]
    assert loop_body(looping, "each") == ["a", "b"]


def test_topological_order_refuses_other_cycles(build: Any) -> None:
    raw = build.chain(build.trigger(), build.ai("a"), build.ai("b"))
    raw["edges"].append(build.edge("b", "a"))
    with pytest.raises(DefinitionError, match="cycle"):
        topological_order(parse_definition(raw))


def test_upstream_follows_edges_but_not_around_loops(branching: Any, looping: Any) -> None:
    assert upstream(branching, "notify") == {"start", "classify", "check", "urgent", "later"}
    assert upstream(branching, "urgent") == {"start", "classify", "check"}
    assert upstream(looping, "each") == {"start", "fetch"}
    assert upstream(looping, "report") == {"start", "fetch", "each"}


def test_successors_by_handle(branching: Any, looping: Any) -> None:
    assert successors_by_handle(branching, "check") == {"true": ["urgent"], "false": ["later"]}
    assert successors_by_handle(looping, "each") == {"body": ["a"], "done": ["report"]}
    assert AgentGraph(looping).successors("b") == ["each"]


def test_enclosing_loops_innermost_first(build: Any) -> None:
    raw = build.definition(
        [
            build.trigger(),
            build.node("outer", "logic.loop", items="{{start.output.rows}}"),
            build.node("inner", "logic.loop", items="{{loop.item.cells}}"),
            build.ai("cell", prompt="{{loop.item}}"),
        ],
        [
            build.edge("start", "outer"),
            build.edge("outer", "inner", "body"),
            build.edge("inner", "cell", "body"),
            build.edge("cell", "inner"),
            build.edge("inner", "outer", "done"),
        ],
    )
    graph = AgentGraph(parse_definition(raw))
    assert graph.enclosing_loops("cell") == ["inner", "outer"]
    assert graph.cycles() == []
    assert graph.topological_order() == ["start", "outer", "inner", "cell"]


def test_available_variables_lists_upstream_outputs_with_shapes(branching: Any) -> None:
    found = {(v.root, v.path): v for v in available_variables(branching, "urgent", env_names=["API_KEY"])}
    assert found[("classify", "output.label")].shape == "string"
    assert found[("classify", "output.confidence")].shape == "number"
    assert found[("classify", "output.usage.cost_usd")].template == "{{classify.output.usage.cost_usd}}"
    assert found[("check", "output.result")].shape == "boolean"
    assert found[("env", "API_KEY")].template == "{{env.API_KEY}}"
    assert ("execution", "id") in found
    assert not any(v.root in {"later", "notify", "urgent"} for v in found.values())
    assert ("loop", "item") not in found


def test_available_variables_inside_a_loop_body(looping: Any) -> None:
    found = {(v.root, v.path): v for v in available_variables(looping, "b")}
    assert found[("fetch", "output.status")].shape == "integer"
    assert found[("a", "output.text")].shape == "string"
    assert found[("loop", "index")].shape == "integer"
    assert ("loop", "item") in found
    assert not any(v.root == "each" for v in found.values())  # the loop's results exist only after it


def test_available_variables_expand_input_schemas(build: Any) -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "size": {"type": "integer"}}}
    raw = build.chain(build.trigger(kind="webhook", input_schema=schema), build.ai("a"))
    found = {v.path: v.shape for v in available_variables(parse_definition(raw), "a") if v.root == "start"}
    assert found == {
        "output.body": "object",
        "output.body.title": "string",
        "output.body.size": "integer",
        "output.headers": "object",
        "output.query": "object",
    }
