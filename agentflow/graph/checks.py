"""Per-node-type config rules that go beyond the models' shapes (cron, time zones, case names, …)."""

from __future__ import annotations

import re
from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from agentflow.graph.definition import Node
from agentflow.graph.nodes import (
    AiNode,
    DelayNode,
    HttpNode,
    IfNode,
    LoopNode,
    SwitchNode,
    TriggerNode,
    WebhookNode,
)
from agentflow.graph.nodes.actions import HttpAuth
from agentflow.graph.nodes.logic import UNARY_OPS
from agentflow.graph.report import Severity
from agentflow.graph.templating import has_template
from agentflow.kit.regex import RegexError, compile_regex


@dataclass(frozen=True)
class Finding:
    """A problem in one node's config; validation turns it into an Issue naming the node."""

    code: str
    field: str
    text: str
    severity: Severity = "error"


def check_node(node: Node, *, known_env: Set[str] | None) -> list[Finding]:
    """Config rules for this node's type."""
    check = _CHECKS.get(type(node))
    return check(node, known_env) if check is not None else []


def cron_problem(expression: str) -> str | None:
    """Why a cron expression would not schedule, or None; accepts what Prefect's CronSchedule accepts."""
    if not croniter.is_valid(expression):
        return f"{expression!r} is not a valid cron expression (e.g. `0 9 * * 1-5`)"
    if any(part.casefold() in ("r", "h") for part in expression.split()):
        return f"{expression!r} uses random (R) or hashed (H) fields, which schedules do not support"
    return None


def timezone_problem(name: str) -> str | None:
    """Why a time zone name is unknown, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not a known IANA time zone (e.g. `Europe/Paris`, `UTC`)"
    return None


def _check_trigger(node: TriggerNode, known_env: Set[str] | None) -> list[Finding]:
    config = node.config
    found: list[Finding] = []
    if config.kind == "schedule":
        if not config.cron:
            found.append(Finding("missing_cron", "config.cron", "a schedule trigger needs a cron expression"))
        elif (problem := cron_problem(config.cron)) is not None:
            found.append(Finding("invalid_cron", "config.cron", problem))
    elif config.cron:
        found.append(
            Finding("unused_field", "config.cron", f"ignored: the trigger kind is {config.kind!r}", "warning")
        )
    if (problem := timezone_problem(config.timezone)) is not None:
        found.append(Finding("invalid_timezone", "config.timezone", problem))
    if config.kind == "integration":
        for name in ("integration", "event"):
            if not getattr(config, name):
                found.append(Finding("missing_field", f"config.{name}", "an integration trigger needs it"))
    return found


def _check_ai(node: AiNode, known_env: Set[str] | None) -> list[Finding]:
    config = node.config
    found: list[Finding] = []
    if config.operation == "classify":
        labels = config.labels or []
        if len(labels) < 2:
            found.append(Finding("missing_labels", "config.labels", "classify needs at least two labels"))
        for index, label in enumerate(labels):
            if label in labels[:index]:
                found.append(
                    Finding("duplicate_label", f"config.labels[{index}]", f"label {label!r} repeats")
                )
    elif config.labels:
        found.append(
            Finding("unused_field", "config.labels", "ignored: only classify uses labels", "warning")
        )
    if config.operation == "extract":
        schema = config.output_schema
        if not schema:
            found.append(
                Finding("missing_output_schema", "config.output_schema", "extract needs an output_schema")
            )
        elif schema.get("type", "object") != "object":
            found.append(
                Finding("invalid_output_schema", "config.output_schema", "the schema must describe an object")
            )
    elif config.output_schema:
        found.append(
            Finding("unused_field", "config.output_schema", "ignored: only extract uses it", "warning")
        )
    return found


def _url_problem(url: str) -> str | None:
    if url.startswith("{{") or re.match(r"^https?://[^\s/]", url):
        return None
    return f"{url!r} is not an absolute http(s) URL"


def _secret_findings(field: str, name: str | None, known_env: Set[str] | None) -> list[Finding]:
    if name is not None and known_env is not None and name not in known_env:
        return [Finding("unknown_secret", field, f"there is no org secret named {name!r}")]
    return []


def _auth_findings(auth: HttpAuth, known_env: Set[str] | None) -> list[Finding]:
    if auth.type == "none":
        return []
    if not auth.secret:
        return [
            Finding("missing_secret", "config.auth.secret", f"{auth.type} auth needs the name of a secret")
        ]
    found = _secret_findings("config.auth.secret", auth.secret, known_env)
    if auth.type == "basic" and not auth.username:
        found.append(Finding("missing_field", "config.auth.username", "basic auth needs a username"))
    return found


def _check_http(node: HttpNode, known_env: Set[str] | None) -> list[Finding]:
    config = node.config
    found: list[Finding] = []
    if (problem := _url_problem(config.url)) is not None:
        found.append(Finding("invalid_url", "config.url", problem))
    if config.json_body is not None and config.body is not None:
        found.append(Finding("conflicting_fields", "config.body", "give either json or body, not both"))
    if config.method in ("GET", "HEAD") and (config.json_body is not None or config.body is not None):
        found.append(
            Finding(
                "unused_field", "config.json", f"{config.method} requests usually carry no body", "warning"
            )
        )
    return found + _auth_findings(config.auth, known_env)


def _check_webhook(node: WebhookNode, known_env: Set[str] | None) -> list[Finding]:
    found: list[Finding] = []
    if (problem := _url_problem(node.config.url)) is not None:
        found.append(Finding("invalid_url", "config.url", problem))
    return found + _secret_findings("config.signing_secret", node.config.signing_secret, known_env)


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


_CHECKS: dict[type, Callable[[Any, Set[str] | None], list[Finding]]] = {
    TriggerNode: _check_trigger,
    AiNode: _check_ai,
    HttpNode: _check_http,
    WebhookNode: _check_webhook,
    IfNode: _check_if,
    SwitchNode: _check_switch,
    LoopNode: _check_loop,
    DelayNode: _check_delay,
}
