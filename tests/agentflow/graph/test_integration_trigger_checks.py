"""Integration triggers (Slack, GitHub events): what publishing requires of them, each finding naming the
trigger node and its field."""

from __future__ import annotations

from typing import Any

from agentflow.graph import validate_definition


def publish(raw: dict[str, Any], **kwargs: Any) -> Any:
    return validate_definition(raw, for_publish=True, **kwargs)


def test_an_integration_trigger_needs_a_supported_integration_and_a_signing_secret(build: Any) -> None:
    raw = build.chain(build.trigger(kind="integration"), build.ai("a"))
    build.assert_names(build.only(publish(raw), "missing_field"), "start", "config.integration")
    raw["nodes"][0]["config"] |= {"integration": "jira", "signing_secret": "JIRA_SECRET"}
    issue = build.only(publish(raw), "unsupported_integration")
    build.assert_names(issue, "start", "config.integration")
    assert "`slack` or `github`" in issue.message
    raw["nodes"][0]["config"] = {"kind": "integration", "integration": "slack", "event": "app_mention"}
    build.assert_names(build.only(publish(raw), "missing_signing_secret"), "start", "config.signing_secret")


def test_the_signing_secret_must_exist_and_the_event_is_optional(build: Any) -> None:
    config = {"kind": "integration", "integration": "github", "signing_secret": "GITHUB_HOOK"}
    raw = build.chain(build.trigger(**config), build.ai("a"))
    build.assert_names(
        build.only(publish(raw, known_env={"OTHER"}), "unknown_secret"), "start", "config.signing_secret"
    )
    assert publish(raw, known_env={"GITHUB_HOOK"}).errors == []  # no `event`: every event runs it
