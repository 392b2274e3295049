"""What operators read in Prefect's UI, as plain functions: run names, tags, deployment descriptions."""

from __future__ import annotations

import uuid

from agentflow.engine.labels import deployment_description, deployment_tags, run_name, short_name

EXECUTION = uuid.UUID("3f2a9c1e-0000-4000-8000-000000000001")


def test_a_run_is_named_after_its_agent_trigger_and_execution() -> None:
    assert run_name("support-triage", "webhook", EXECUTION) == "support-triage · webhook · 3f2a9c1e"


def test_a_long_or_multi_line_agent_name_stays_one_short_line() -> None:
    assert short_name("  Triage\n\tthe   inbox ") == "Triage the inbox"
    long = short_name("x" * 300)
    assert len(long) == 60 and long.endswith("…")
    assert short_name(" \n ") == "unnamed agent"


def test_a_tenants_agent_name_is_text_in_the_markdown_description() -> None:
    org_id, agent_id = uuid.uuid4(), uuid.uuid4()
    text = deployment_description(
        agent_name="![x](https://tracker.example/p.png) [click](https://evil.example) <b>hi</b>",
        org_slug="acme",
        agent_id=agent_id,
        org_id=org_id,
        version_number=3,
        trigger_kind="webhook",
    )
    first = text.splitlines()[0]
    # Every Markdown and HTML character of the name is escaped: no image, no link, no tag renders.
    assert "](" not in first.replace(r"\]\(", "") and "<b>" not in first
    assert first.endswith("· org `acme` · version 3 · webhook trigger")
    assert str(agent_id) in text and str(org_id) in text


def test_deployment_tags_carry_ids_slug_and_name() -> None:
    org_id, agent_id = uuid.uuid4(), uuid.uuid4()
    assert deployment_tags(org_id, agent_id, "acme", "support  triage") == [
        f"org:{org_id}",
        f"agent:{agent_id}",
        "org:acme",
        "name:support triage",
    ]
