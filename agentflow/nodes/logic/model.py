"""Logic nodes: if, switch, loop and delay."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentflow.nodes.base import NodeBase, StrictModel

ConditionOp = Literal[
    "eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_contains", "in", "exists", "empty", "matches"
]
UNARY_OPS: frozenset[str] = frozenset({"exists", "empty"})


class Condition(StrictModel):
    """`left op right`, e.g. `{{classify.output.label}} eq bug`."""

    left: Any = Field(description="Left operand, usually a `{{…}}` reference.")
    op: ConditionOp = Field(
        description=(
            "Comparison: eq ne gt gte lt lte, contains / not_contains (substring or list member), "
            "in (left is in the right list), exists (left is defined and not null), empty, "
            "matches (the regular expression right is found in left; RE2 syntax, which runs in linear "
            "time: no backreferences or lookaround)."
        )
    )
    right: Any = Field(default=None, description="Right operand; unused by `exists` and `empty`.")


class IfConfig(StrictModel):
    """Conditions deciding between the `true` and `false` handles."""

    conditions: list[Condition] = Field(description="Conditions to evaluate (at least one).")
    combine: Literal["all", "any"] = Field(
        default="all", description="`all`: every condition must hold; `any`: one is enough."
    )


class IfNode(NodeBase):
    """Branches on conditions; output `{result}`; handles `true` and `false`."""

    type: Literal["logic.if"] = Field(description="Node type.")
    config: IfConfig = Field(description="Branch conditions.")


class SwitchCase(StrictModel):
    """One branch of a switch; its name is also its output handle."""

    name: str = Field(min_length=1, max_length=64, description="Case name, used as the output handle.")
    equals: Any = Field(description="The value that selects this case.")


class SwitchConfig(StrictModel):
    """A value and the cases it is matched against."""

    value: Any = Field(description="The value to match, usually a `{{…}}` reference.")
    cases: list[SwitchCase] = Field(description="Cases tried in order; the first equal one wins.")


class SwitchNode(NodeBase):
    """Routes to the first case equal to `value`, else `default`; output `{matched}`."""

    type: Literal["logic.switch"] = Field(description="Node type.")
    config: SwitchConfig = Field(description="Switch settings.")


class LoopConfig(StrictModel):
    """The list to iterate over."""

    items: Any = Field(
        description="A reference to a list (e.g. `{{search.output.chunks}}`) or a literal list.",
    )
    max_iterations: int = Field(
        default=100, ge=1, le=10000, description="Stop with an error if the list is longer than this."
    )


class LoopNode(NodeBase):
    """Runs its `body` once per item (`{{loop.item}}`, `{{loop.index}}`), then `done`; output `{results}`."""

    type: Literal["logic.loop"] = Field(description="Node type.")
    config: LoopConfig = Field(description="Loop settings.")


class DelayConfig(StrictModel):
    """How long to wait: give `seconds` or `until`, not both."""

    seconds: float | str | None = Field(
        default=None, description="Seconds to wait: a number or a `{{…}}` reference to one."
    )
    until: str | None = Field(
        default=None,
        description="Wait until: ISO 8601 time with offset, `2025-01-31T09:00:00+01:00`, or a reference.",
    )


class DelayNode(NodeBase):
    """Pauses the run; output `{waited_seconds}`."""

    type: Literal["logic.delay"] = Field(description="Node type.")
    config: DelayConfig = Field(description="Delay settings.")
