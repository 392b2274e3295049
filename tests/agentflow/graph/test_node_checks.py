"""Per-node-type config rules (cron, time zone, switch cases, http, delay, …), each naming node and field."""

from __future__ import annotations

from typing import Any

import pytest

from agentflow.graph import validate_definition


def publish(raw: dict[str, Any], **kwargs: Any) -> Any:
    return validate_definition(raw, for_publish=True, **kwargs)


def test_auth_secret_names_are_checked_against_known_env(build: Any) -> None:
    raw = build.chain(build.trigger(), build.http("call", auth={"type": "bearer", "secret": "TOKEN"}))
    build.assert_names(
        build.only(publish(raw, known_env=set()), "unknown_secret"), "call", "config.auth.secret"
    )
    raw["nodes"][1]["config"]["auth"] = {"type": "bearer"}
    build.assert_names(build.only(publish(raw), "missing_secret"), "call", "config.auth.secret")


@pytest.mark.parametrize("cron", ["61 * * * *", "every day", "H 9 * * *"])
def test_invalid_cron_is_an_error(build: Any, cron: str) -> None:
    raw = build.chain(build.trigger(kind="schedule", cron=cron), build.ai("a"))
    issue = build.only(publish(raw), "invalid_cron")
    build.assert_names(issue, "start", "config.cron")
    assert repr(cron) in issue.message


def test_schedule_needs_a_cron_and_a_real_timezone(build: Any) -> None:
    raw = build.chain(build.trigger(kind="schedule", timezone="Mars/Olympus"), build.ai("a"))
    report = publish(raw)
    build.assert_names(build.only(report, "missing_cron"), "start", "config.cron")
    build.assert_names(build.only(report, "invalid_timezone"), "start", "config.timezone")
    raw["nodes"][0]["config"] = {"kind": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris"}
    assert publish(raw).errors == []


def test_switch_case_names_must_be_unique_and_not_default(build: Any) -> None:
    cases = [{"name": "bug", "equals": 1}, {"name": "bug", "equals": 2}, {"name": "default", "equals": 3}]
    raw = build.chain(
        build.trigger(), build.node("route", "logic.switch", value="{{start.output.x}}", cases=cases)
    )
    report = publish(raw)
    build.assert_names(build.only(report, "duplicate_case"), "route", "config.cases[1].name")
    build.assert_names(build.only(report, "reserved_case_name"), "route", "config.cases[2].name")


@pytest.mark.parametrize("timeout", [0, -60])
def test_approval_timeout_must_be_positive(build: Any, timeout: int) -> None:
    raw = build.chain(
        build.trigger(), build.node("ok", "human.approval", message="Go?", timeout_seconds=timeout)
    )
    issue = build.only(publish(raw), "invalid_value")
    build.assert_names(issue, "ok", "config.timeout_seconds")
    assert "greater than 0" in issue.message


@pytest.mark.parametrize(
    ("config", "code", "field"),
    [
        ({"operation": "classify", "labels": ["only"]}, "missing_labels", "config.labels"),
        ({"operation": "extract"}, "missing_output_schema", "config.output_schema"),
    ],
)
def test_ai_operation_needs_its_fields(build: Any, config: dict[str, Any], code: str, field: str) -> None:
    raw = build.chain(build.trigger(), build.ai("a", **config))
    build.assert_names(build.only(publish(raw), code), "a", field)


def test_http_config_rules(build: Any) -> None:
    raw = build.chain(
        build.trigger(), build.http("call", url="example.test/x", method="POST", json={}, body="x")
    )
    report = publish(raw)
    build.assert_names(build.only(report, "invalid_url"), "call", "config.url")
    build.assert_names(build.only(report, "conflicting_fields"), "call", "config.body")


def test_delay_needs_exactly_one_of_seconds_or_until(build: Any) -> None:
    raw = build.chain(build.trigger(), build.node("wait", "logic.delay"))
    build.assert_names(build.only(publish(raw), "invalid_delay"), "wait", "config.seconds")
    raw["nodes"][1]["config"] = {"until": "2025-01-31T09:00:00"}
    build.assert_names(build.only(publish(raw), "invalid_time"), "wait", "config.until")
    raw["nodes"][1]["config"] = {"until": "2025-01-31T09:00:00+01:00"}
    assert publish(raw).errors == []


def test_if_needs_conditions_and_valid_regular_expressions(build: Any) -> None:
    raw = build.chain(build.trigger(), build.node("check", "logic.if", conditions=[]))
    build.assert_names(build.only(publish(raw), "missing_conditions"), "check", "config.conditions")
    raw["nodes"][1]["config"]["conditions"] = [{"left": "{{start.output.x}}", "op": "matches", "right": "(["}]
    build.assert_names(build.only(publish(raw), "invalid_regex"), "check", "config.conditions[0].right")


def test_a_saved_draft_reports_a_pattern_the_linear_time_engine_cannot_run(build: Any) -> None:
    condition = {"left": "{{start.output.x}}", "op": "matches", "right": r"(\w+)\s\1"}
    raw = build.chain(build.trigger(), build.node("check", "logic.if", conditions=[condition]))
    issue = build.only(validate_definition(raw, for_publish=False), "invalid_regex")
    build.assert_names(issue, "check", "config.conditions[0].right")
    assert "is not supported: backreferences/lookaround" in issue.message
    condition["right"] = r"(a+)+$"  # catastrophic for a backtracking engine, linear on RE2: accepted
    assert [i.code for i in validate_definition(raw, for_publish=False).errors] == []


def test_loop_items_must_be_a_list_or_a_reference(build: Any) -> None:
    raw = build.chain(build.trigger(), build.node("each", "logic.loop", items="start.output.items"))
    build.assert_names(build.only(publish(raw), "invalid_loop_items"), "each", "config.items")


@pytest.mark.parametrize(
    ("node_id", "node_type", "config", "code", "field"),
    [
        ("route", "logic.switch", {"value": 1, "cases": []}, "missing_cases", "config.cases"),
        (
            "a",
            "ai",
            {"prompt": "x", "operation": "classify", "labels": ["x", "y", "x"]},
            "duplicate_label",
            "config.labels[2]",
        ),
        (
            "a",
            "ai",
            {"prompt": "x", "operation": "extract", "output_schema": {"type": "array"}},
            "invalid_output_schema",
            "config.output_schema",
        ),
        ("hook", "action.webhook", {"url": "ftp://files.test/x"}, "invalid_url", "config.url"),
        (
            "call",
            "action.http",
            {"url": "https://a.test", "auth": {"type": "basic", "secret": "PW"}},
            "missing_field",
            "config.auth.username",
        ),
    ],
)
def test_more_config_errors(
    build: Any, node_id: str, node_type: str, config: dict[str, Any], code: str, field: str
) -> None:
    raw = build.chain(build.trigger(), build.node(node_id, node_type, **config))
    build.assert_names(build.only(publish(raw), code), node_id, field)


@pytest.mark.parametrize(
    ("node", "field"),
    [
        (("start", "trigger", {"kind": "manual", "cron": "0 9 * * *"}), "config.cron"),
        (("a", "ai", {"prompt": "x", "labels": ["a", "b"]}), "config.labels"),
        (("a", "ai", {"prompt": "x", "output_schema": {"type": "object"}}), "config.output_schema"),
        (("call", "action.http", {"url": "https://a.test", "json": {"a": 1}}), "config.json"),
    ],
)
def test_fields_the_node_ignores_are_warnings(
    build: Any, node: tuple[str, str, dict[str, Any]], field: str
) -> None:
    node_id, node_type, config = node
    first = build.node(node_id, node_type, **config) if node_type == "trigger" else build.trigger()
    raw = (
        build.chain(first)
        if node_type == "trigger"
        else build.chain(first, build.node(node_id, node_type, **config))
    )
    report = publish(raw)
    assert report.errors == []
    build.assert_names(build.only(report, "unused_field", severity="warning"), node_id, field)


def test_condition_without_right_operand_is_a_warning(build: Any) -> None:
    conditions = [{"left": "{{start.output.x}}", "op": "eq"}, {"left": "{{start.output.y}}", "op": "exists"}]
    raw = build.chain(build.trigger(), build.node("check", "logic.if", conditions=conditions))
    report = publish(raw)
    issue = build.only(report, "missing_operand", severity="warning")
    build.assert_names(issue, "check", "config.conditions[0].right")
