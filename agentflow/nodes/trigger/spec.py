"""trigger: its rules (cron, time zone, integration event) and output shape."""

from __future__ import annotations

from collections.abc import Set
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from agentflow.nodes.spec import Finding, NodeSpec, OutputField, output, schema_outputs, secret_findings
from agentflow.nodes.trigger.model import TriggerNode

# The integrations whose events can start an agent (at its webhook URL).
EVENT_SOURCES = ("slack", "github")


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


def _check(node: TriggerNode, known_env: Set[str] | None) -> list[Finding]:
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
        found.extend(_integration_findings(node, known_env))
    return found


def _integration_findings(node: TriggerNode, known_env: Set[str] | None) -> list[Finding]:
    config = node.config
    if not config.integration:
        return [Finding("missing_field", "config.integration", "an integration trigger needs it")]
    if config.integration not in EVENT_SOURCES:
        supported = " or ".join(f"`{name}`" for name in EVENT_SOURCES)
        return [
            Finding(
                "unsupported_integration",
                "config.integration",
                f"{config.integration!r} sends no events to agents; use {supported}",
            )
        ]
    if not config.signing_secret:
        return [
            Finding(
                "missing_signing_secret",
                "config.signing_secret",
                f"a {config.integration} trigger needs the org secret that holds its signing secret",
            )
        ]
    return secret_findings("config.signing_secret", config.signing_secret, known_env)


def _outputs(node: TriggerNode) -> list[OutputField]:
    config = node.config
    if config.kind in ("webhook", "integration"):
        return [
            output("output.body", "object", "Parsed request body (for Slack and GitHub: the event)."),
            *schema_outputs(config.input_schema, "output.body"),
            output("output.headers", "object", "Request headers (lower-case names)."),
            output("output.query", "object", "Query-string parameters."),
        ]
    if config.kind == "schedule":
        return [output("output.scheduled_at", "string", "ISO time the run was scheduled for.")]
    return [output("output", "object", "The run input."), *schema_outputs(config.input_schema, "output")]


def _closed(node: TriggerNode) -> frozenset[str] | None:
    if node.config.kind in ("webhook", "integration"):
        return frozenset({"body", "headers", "query"})
    if node.config.kind == "schedule":
        return frozenset({"scheduled_at"})
    return None


SPEC = NodeSpec(
    type="trigger",
    model=TriggerNode,
    label="Trigger",
    category="trigger",
    outputs=_outputs,
    closed_outputs=_closed,
    check=_check,
    handler="agentflow.nodes.trigger.handler:TriggerHandler",
)
