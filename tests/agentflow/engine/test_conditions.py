"""logic.if and logic.switch run through the walker: the false side of every operator, `combine`, and what a
comparison of mismatched types does (it never silently takes a branch it should not)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.agentflow.engine.conftest import Run, edge, node, walk

TICKET = {"label": "bug", "n": 9, "price": "9.50", "tags": ["a", "b"], "text": "abc-123"}


def branching(*conditions: dict[str, Any], combine: str = "all") -> dict[str, Any]:
    """trigger → check (logic.if) → `yes` on true, `no` on false."""
    return {
        "nodes": [
            node("start", "trigger"),
            node("check", "logic.if", conditions=list(conditions), combine=combine),
            node("yes", "logic.delay", seconds=0),
            node("no", "logic.delay", seconds=0),
        ],
        "edges": [edge("start", "check"), edge("check", "yes", "true"), edge("check", "no", "false")],
    }


def cond(left: str, op: str, right: Any = None) -> dict[str, Any]:
    return {"left": "{{trigger.output." + left + "}}", "op": op, "right": right}


def took(run: Run) -> str:
    """The branch the run went down, checking the other one was skipped."""
    assert run.result.status == "completed", run.result.error
    taken = {"yes": run.status("yes"), "no": run.status("no")}
    assert sorted(taken.values()) == ["completed", "skipped"], taken
    return "yes" if taken["yes"] == "completed" else "no"


FALSE_CONDITIONS = [
    pytest.param(cond("label", "eq", "feature"), id="eq-text"),
    pytest.param(cond("n", "eq", 10), id="eq-number"),
    pytest.param(cond("label", "eq", 3), id="eq-text-vs-number"),
    pytest.param(cond("label", "eq", None), id="eq-text-vs-null"),
    pytest.param(cond("tags", "eq", ["b", "a"]), id="eq-list-order-matters"),
    pytest.param(cond("n", "gt", 9), id="gt-equal-is-not-greater"),
    pytest.param(cond("n", "gt", "10"), id="gt-number-vs-numeric-text"),
    pytest.param(cond("price", "gt", 9.5), id="gt-numeric-text-vs-number"),
    pytest.param(cond("label", "gt", "cat"), id="gt-text-order"),
    pytest.param(cond("n", "lt", 9), id="lt-equal-is-not-less"),
    pytest.param(cond("n", "lt", "8.5"), id="lt-number-vs-numeric-text"),
    # Numeric text compares as numbers: as text "10" < "9" would hold.
    pytest.param({"left": "10", "op": "lt", "right": "9"}, id="lt-numeric-texts-compare-as-numbers"),
    pytest.param(cond("label", "in", ["feature", "question"]), id="in-list"),
    pytest.param(cond("label", "in", "feature request"), id="in-text"),
    pytest.param(cond("label", "in", None), id="in-null"),
    # Membership does not convert types (unlike eq): the number 9 is not the text "9".
    pytest.param(cond("n", "in", ["9", "10"]), id="in-number-vs-texts"),
    pytest.param(cond("tags", "contains", "c"), id="contains-list"),
    pytest.param(cond("tags", "contains", "a, b"), id="contains-list-is-not-text"),
    pytest.param(cond("text", "contains", "xyz"), id="contains-text"),
    pytest.param(cond("text", "contains", "ABC"), id="contains-is-case-sensitive"),
    pytest.param(cond("n", "contains", 9), id="contains-on-a-number"),
    pytest.param(cond("text", "matches", r"^\d+$"), id="matches-anchored"),
    pytest.param(cond("text", "matches", "ABC"), id="matches-is-case-sensitive"),
    pytest.param(cond("n", "matches", "^1"), id="matches-a-number-as-text"),
]


@pytest.mark.parametrize("condition", FALSE_CONDITIONS)
async def test_a_false_condition_takes_the_false_branch(
    http: httpx.AsyncClient, condition: dict[str, Any]
) -> None:
    run = await walk(branching(condition), http, trigger_input=TICKET)
    assert run.result.outputs["check"] == {"result": False}
    assert took(run) == "no"


TRUE_CONDITIONS = [
    pytest.param(cond("label", "eq", "bug"), id="eq-text"),
    pytest.param(cond("n", "eq", "9"), id="eq-number-vs-numeric-text"),
    pytest.param(cond("price", "eq", 9.5), id="eq-numeric-text-vs-number"),
    pytest.param(cond("label", "ne", 3), id="ne-text-vs-number"),
    pytest.param(cond("n", "gt", "8.99"), id="gt-number-vs-numeric-text"),
    pytest.param(cond("n", "lt", 10), id="lt-number"),
    pytest.param(cond("label", "in", ["bug", "question"]), id="in-list"),
    pytest.param(cond("label", "in", "debugger"), id="in-text-is-a-substring"),
    pytest.param(cond("text", "contains", 123), id="contains-text-vs-number"),
    pytest.param(cond("n", "matches", "^9$"), id="matches-a-number-as-text"),
]


@pytest.mark.parametrize("condition", TRUE_CONDITIONS)
async def test_the_same_operators_hold_when_they_should(
    http: httpx.AsyncClient, condition: dict[str, Any]
) -> None:
    # The twin of the false cases: the same graph takes the other branch, so neither side is constant.
    run = await walk(branching(condition), http, trigger_input=TICKET)
    assert run.result.outputs["check"] == {"result": True}
    assert took(run) == "yes"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (cond("label", "gt", 3), "Cannot compare 'bug' gt 3: both sides must be numbers or text"),
        (cond("tags", "lt", 3), "Cannot compare ['a', 'b'] lt 3"),
        (cond("n", "gte", None), "Cannot compare 9 gte None"),
    ],
)
async def test_ordering_text_against_a_number_fails_the_step_instead_of_branching(
    http: httpx.AsyncClient, condition: dict[str, Any], message: str
) -> None:
    run = await walk(branching(condition), http, trigger_input=TICKET)
    assert run.result.status == "failed"
    assert run.result.failed_node == "check"
    assert message in (run.result.error or "")
    assert run.status("yes") is None and run.status("no") is None  # neither branch ran


@pytest.mark.parametrize(
    ("combine", "conditions", "expected"),
    [
        ("all", [cond("label", "eq", "bug"), cond("n", "gt", 10)], "no"),
        ("all", [cond("label", "eq", "bug"), cond("n", "lt", 10)], "yes"),
        ("any", [cond("label", "eq", "feature"), cond("n", "gt", 10)], "no"),
        ("any", [cond("label", "eq", "feature"), cond("n", "lt", 10)], "yes"),
    ],
)
async def test_combine_all_needs_every_condition_and_any_needs_one(
    http: httpx.AsyncClient, combine: str, conditions: list[dict[str, Any]], expected: str
) -> None:
    run = await walk(branching(*conditions, combine=combine), http, trigger_input=TICKET)
    assert took(run) == expected


def routing(value: str, *cases: tuple[str, Any]) -> dict[str, Any]:
    names = [name for name, _ in cases]
    return {
        "nodes": [
            node("start", "trigger"),
            node("route", "logic.switch", value=value, cases=[{"name": n, "equals": e} for n, e in cases]),
            *[node(name, "logic.delay", seconds=0) for name in [*names, "other"]],
        ],
        "edges": [
            edge("start", "route"),
            *[edge("route", name, name) for name in names],
            edge("route", "other", "default"),
        ],
    }


@pytest.mark.parametrize(
    ("value", "cases", "matched"),
    [
        # A switch compares as `eq` does: numeric text equals the number …
        ("{{trigger.output.n}}", [("nine", "9")], "nine"),
        ("{{trigger.output.price}}", [("cheap", 9.5)], "cheap"),
        # … but other text never equals a number, nor null, nor a list holding it.
        ("{{trigger.output.label}}", [("three", 3), ("nothing", None), ("listed", ["bug"])], "default"),
        ("{{trigger.output.n}}", [("ten", 10), ("nine_text", "nine")], "default"),
        # The first equal case wins; later equal ones are not taken.
        ("{{trigger.output.label}}", [("first", "bug"), ("second", "bug")], "first"),
    ],
)
async def test_a_switch_matches_like_eq_and_falls_back_to_default(
    http: httpx.AsyncClient, value: str, cases: list[tuple[str, Any]], matched: str
) -> None:
    run = await walk(routing(value, *cases), http, trigger_input=TICKET)
    assert run.result.status == "completed", run.result.error
    assert run.result.outputs["route"] == {"matched": matched}
    taken = "other" if matched == "default" else matched
    assert run.status(taken) == "completed"
    assert all(run.status(name) == "skipped" for name, _ in cases if name != taken)
    assert taken == "other" or run.status("other") == "skipped"
