"""logic.if, logic.switch, logic.loop and logic.delay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agentflow.kit.regex import RegexError, search
from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import NodeContext, NodeResult
from agentflow.nodes.errors import PermanentStepError

MAX_DELAY_SECONDS = 7 * 24 * 3600


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _ordered(left: Any, right: Any, op: str) -> bool:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        if isinstance(left, str) and isinstance(right, str):
            a_s, b_s = left, right
            return {"gt": a_s > b_s, "gte": a_s >= b_s, "lt": a_s < b_s, "lte": a_s <= b_s}[op]
        raise PermanentStepError(
            f"Cannot compare {left!r} {op} {right!r}: both sides must be numbers or text"
        )
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def _equal(left: Any, right: Any) -> bool:
    if left == right:
        return True
    a, b = _number(left), _number(right)  # "3" eq 3: templates often turn numbers into text
    return a is not None and b is not None and a == b


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return str(item) in container
    if isinstance(container, list | tuple | dict):
        return item in container
    return False


def evaluate(left: Any, op: str, right: Any) -> bool:
    """One condition; the operators of the contract."""
    match op:
        case "eq":
            return _equal(left, right)
        case "ne":
            return not _equal(left, right)
        case "gt" | "gte" | "lt" | "lte":
            return _ordered(left, right, op)
        case "contains":
            return _contains(left, right)
        case "not_contains":
            return not _contains(left, right)
        case "in":
            return _contains(right, left)
        case "exists":
            return left is not None
        case "empty":
            return left is None or left == "" or left == [] or left == {}
        case "matches":
            try:
                return search(str(right), str(left))
            except RegexError as exc:
                raise PermanentStepError(exc.message) from exc
    raise PermanentStepError(f"Unknown operator {op!r}")


class IfHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        results = [evaluate(c.get("left"), c["op"], c.get("right")) for c in config["conditions"]]
        result = all(results) if config.get("combine", "all") == "all" else any(results)
        return NodeResult(output={"result": result}, handles=("true" if result else "false",))


class SwitchHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        for case in config["cases"]:
            if _equal(config.get("value"), case.get("equals")):
                return NodeResult(output={"matched": case["name"]}, handles=(case["name"],))
        return NodeResult(output={"matched": "default"}, handles=("default",))


class LoopHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        items = config.get("items")
        if not isinstance(items, list):
            raise PermanentStepError(f"Loop items must be a list, got {type(items).__name__}")
        limit = int(config.get("max_iterations", 100))
        if len(items) > limit:
            raise PermanentStepError(f"The loop has {len(items)} items, more than max_iterations={limit}")
        assert ctx.run_loop_body is not None, "the engine provides loop bodies"
        results = await ctx.run_loop_body(node.id, items)
        return NodeResult(output={"results": results}, handles=("done",))


class DelayHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        seconds = _delay_seconds(config)
        if seconds > MAX_DELAY_SECONDS:
            raise PermanentStepError(f"A delay of {seconds:.0f}s is longer than the maximum of 7 days")
        await asyncio.sleep(max(seconds, 0.0))
        return NodeResult(output={"waited_seconds": round(max(seconds, 0.0), 3)})


def _delay_seconds(config: dict[str, Any]) -> float:
    if config.get("seconds") is not None:
        seconds = _number(config["seconds"])
        if seconds is None or seconds < 0:
            raise PermanentStepError(
                f"Delay seconds must be a non-negative number, got {config['seconds']!r}"
            )
        return seconds
    until = config.get("until")
    if until is None:
        raise PermanentStepError("A delay needs `seconds` or `until`")
    try:
        moment = datetime.fromisoformat(str(until))
    except ValueError as exc:
        raise PermanentStepError(f"Delay until {until!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise PermanentStepError(f"Delay until {until!r} needs a UTC offset")
    return (moment - datetime.now(UTC)).total_seconds()
