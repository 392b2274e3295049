"""logic.if, logic.switch, logic.loop and logic.delay: their rules and output shapes."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime

from agentflow.kit.regex import RegexError, compile_regex
from agentflow.nodes.logic.model import UNARY_OPS, DelayNode, IfNode, LoopNode, SwitchNode
from agentflow.nodes.spec import Finding, NodeSpec, closed, fixed_outputs, output
from agentflow.templating import has_template

LOOP_BODY_HANDLE = "body"
LOOP_DONE_HANDLE = "done"


def _check_if(node: IfNode, known_env: Set[str] | None) -> list[Finding]:
    found: list[Finding] = []
    if not node.config.conditions:
        found.append(Finding("missing_conditions", "config.conditions", "add at least one condition"))
    for index, condition in enumerate(node.config.conditions):
        field = f"config.conditions[{index}].right"
        right = condition.right
        if condition.op == "matches" and isinstance(right, str) and not has_template(right):
            try:
                compile_regex(right)
            except RegexError as exc:
                found.append(Finding("invalid_regex", field, exc.message))
        if condition.op not in UNARY_OPS and right is None:
            found.append(
                Finding("missing_operand", field, f"{condition.op} needs a right operand", "warning")
            )
    return found


def _check_switch(node: SwitchNode, known_env: Set[str] | None) -> list[Finding]:
    found: list[Finding] = []
    if not node.config.cases:
        found.append(Finding("missing_cases", "config.cases", "add at least one case"))
    seen: set[str] = set()
    for index, case in enumerate(node.config.cases):
        field = f"config.cases[{index}].name"
        if case.name == "default":
            found.append(
                Finding("reserved_case_name", field, "'default' is the handle taken when no case matches")
            )
        elif case.name in seen:
            found.append(Finding("duplicate_case", field, f"case name {case.name!r} is used twice"))
        seen.add(case.name)
    return found


def _check_loop(node: LoopNode, known_env: Set[str] | None) -> list[Finding]:
    items = node.config.items
    if isinstance(items, list) or (isinstance(items, str) and has_template(items)):
        return []
    return [
        Finding(
            "invalid_loop_items",
            "config.items",
            "items must be a list or a reference such as {{node.output.x}}",
        )
    ]


def _check_delay(node: DelayNode, known_env: Set[str] | None) -> list[Finding]:
    seconds, until = node.config.seconds, node.config.until
    if (seconds is None) == (until is None):
        return [Finding("invalid_delay", "config.seconds", "give either seconds or until, exactly one")]
    if isinstance(seconds, str) and not has_template(seconds):
        return [
            Finding("invalid_value", "config.seconds", f"{seconds!r} is neither a number nor a reference")
        ]
    if isinstance(seconds, float | int) and seconds < 0:
        return [Finding("invalid_value", "config.seconds", "the delay cannot be negative")]
    if until is not None and not has_template(until):
        try:
            moment = datetime.fromisoformat(until)
        except ValueError:
            return [Finding("invalid_time", "config.until", f"{until!r} is not an ISO 8601 time")]
        if moment.tzinfo is None:
            return [Finding("invalid_time", "config.until", f"{until!r} needs a UTC offset, e.g. +00:00")]
    return []


_HANDLERS = "agentflow.nodes.logic.handler"

IF_SPEC = NodeSpec(
    type="logic.if",
    model=IfNode,
    label="If",
    category="logic",
    handles=("true", "false"),
    outputs=fixed_outputs(output("output.result", "boolean", "Whether the conditions held.")),
    closed_outputs=closed("result"),
    check=_check_if,
    handler=f"{_HANDLERS}:IfHandler",
)
SWITCH_SPEC = NodeSpec(
    type="logic.switch",
    model=SwitchNode,
    label="Switch",
    category="logic",
    outputs=fixed_outputs(output("output.matched", "string", "Name of the matched case, or `default`.")),
    closed_outputs=closed("matched"),
    check=_check_switch,
    handler=f"{_HANDLERS}:SwitchHandler",
    dynamic_handles=True,
)
LOOP_SPEC = NodeSpec(
    type="logic.loop",
    model=LoopNode,
    label="Loop",
    category="logic",
    handles=(LOOP_BODY_HANDLE, LOOP_DONE_HANDLE),
    outputs=fixed_outputs(output("output.results", "array", "One result per item, in order.")),
    closed_outputs=closed("results"),
    check=_check_loop,
    handler=f"{_HANDLERS}:LoopHandler",
    flow_level=True,  # its body nodes are Prefect tasks of their own
)
DELAY_SPEC = NodeSpec(
    type="logic.delay",
    model=DelayNode,
    label="Delay",
    category="logic",
    outputs=fixed_outputs(output("output.waited_seconds", "number", "Seconds actually waited.")),
    closed_outputs=closed("waited_seconds"),
    check=_check_delay,
    handler=f"{_HANDLERS}:DelayHandler",
)
