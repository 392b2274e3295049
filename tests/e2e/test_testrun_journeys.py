"""Test runs that tell the truth, walked in the browser: a refused private destination says who allows it,
the Test dialog starts from the trigger's sample and checks it before the run, a side-effecting step can be
given a sample response that the next step reads, and validation messages read as sentences.

Needs the whole stack: the agents API, the engine and its in-process worker.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Console, shot
from tests.e2e.helpers import node, select_node, sign_up, token_for, unique_email
from tests.factories import PASSWORD

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def at(node_id: str, node_type: str, x: int, config: dict[str, Any], name: str = "") -> dict[str, Any]:
    return {
        "id": node_id,
        "type": node_type,
        "name": name or node_id.replace("_", " ").capitalize(),
        "config": config,
        "position": {"x": x, "y": 0},
    }


def agent(stack_url: str, email: str, name: str, nodes: list[dict[str, Any]]) -> str:
    """The precondition, not the journey: an agent whose nodes run one after the other."""
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    created = httpx.post(
        f"{stack_url}/api/v1/agents",
        json={"name": name, "definition": {"nodes": nodes, "edges": edges, "settings": {}}},
        headers={"Authorization": f"Bearer {token_for(stack_url, email)}"},
    )
    created.raise_for_status()
    return str(created.json()["id"])


def open_test_dialog(page: Page, stack_url: str, agent_id: str, first_node: str) -> None:
    page.goto(f"{stack_url}/agents/{agent_id}")
    expect(node(page, first_node)).to_be_visible()
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.get_by_role("dialog", name="Test run")).to_be_visible()


def run_state(page: Page, node_id: str) -> Any:
    return node(page, node_id).get_by_test_id(f"run-state-{node_id}")


def test_a_refused_private_destination_says_who_allows_it(page: Page, stack_url: str) -> None:
    email = unique_email("egress")
    sign_up(page, stack_url, email=email, org="Egress")
    agent_id = agent(
        stack_url,
        email,
        "Office printer",
        [
            at("start", "trigger", 0, {"kind": "manual"}),
            # A private address the operator has not allowed (the e2e stack allows only its pet store).
            at(
                "status",
                "action.http",
                300,
                {"method": "GET", "url": "http://10.255.255.1/status"},
                "Printer",
            ),
        ],
    )
    open_test_dialog(page, stack_url, agent_id, "status")
    page.get_by_role("button", name="Run test").click()
    expect(run_state(page, "status")).to_have_text("failed", timeout=60_000)

    select_node(page, "status")
    detail = page.get_by_role("region", name="Test run").get_by_test_id("step-detail")
    expect(detail).to_contain_text("private or local address")
    expect(detail).to_contain_text(
        "Only the operator who runs this AgentFlow server can allow private destinations"
    )
    help_box = detail.get_by_text("Private and local addresses are refused so that organizations stay apart")
    expect(help_box).to_be_visible()
    expect(detail).to_contain_text("AGENTFLOW_EGRESS_ALLOWLIST")
    expect(detail).to_contain_text("docs/security.md#allowing-private-destinations")
    shot(page, "testrun-egress-refused")


def test_the_test_dialog_starts_from_the_webhook_sample_and_checks_it_before_the_run(
    page: Page, stack_url: str
) -> None:
    email = unique_email("sample")
    sign_up(page, stack_url, email=email, org="Samples")
    schema = {
        "type": "object",
        "properties": {"text": {"type": "string", "minLength": 3}, "priority": {"enum": ["low", "high"]}},
        "required": ["text"],
    }
    agent_id = agent(
        stack_url,
        email,
        "Ticket intake",
        [
            at("start", "trigger", 0, {"kind": "webhook", "input_schema": schema}),
            at("pause", "logic.delay", 300, {"seconds": 0}),
        ],
    )
    open_test_dialog(page, stack_url, agent_id, "pause")
    dialog = page.get_by_role("dialog", name="Test run")
    expect(dialog).to_contain_text("A webhook run gets the delivery: body")
    field = dialog.get_by_label("Input (JSON)")
    sample = json.loads(field.input_value())
    assert sample == {
        "body": {"text": "example", "priority": "low"},
        "headers": {"content-type": "application/json"},
        "query": {},
    }

    # A body that breaks the schema is shown at once, and cannot be run.
    field.fill('{"body": {"text": "no", "priority": "urgent"}, "headers": {}, "query": {}}')
    problems = dialog.get_by_role("list", name="Input problems")
    expect(problems).to_contain_text("body.text must be at least 3 characters long.")
    expect(problems).to_contain_text('body.priority must be one of: "low", "high".')
    expect(dialog.get_by_role("button", name="Run test")).to_be_disabled()
    shot(page, "testrun-input-mismatch")

    dialog.get_by_role("button", name="Start again from the sample").click()
    expect(problems).to_have_count(0)
    field.fill('{"body": {"text": "printer on fire", "priority": "high"}, "headers": {}, "query": {}}')
    dialog.get_by_role("button", name="Run test").click()
    expect(run_state(page, "pause")).to_have_text("completed", timeout=60_000)
    select_node(page, "start")
    detail = page.get_by_role("region", name="Test run").get_by_test_id("step-detail")
    expect(detail).to_contain_text('"text": "printer on fire"')


def test_a_sample_response_is_read_by_the_next_step_and_nothing_is_sent(page: Page, stack_url: str) -> None:
    email = unique_email("preview")
    sign_up(page, stack_url, email=email, org="Previews")
    agent_id = agent(
        stack_url,
        email,
        "File and notify",
        [
            at("start", "trigger", 0, {"kind": "manual"}),
            at(
                "create",
                "action.http",
                300,
                {
                    "method": "POST",
                    "url": "https://tracker.example.invalid/tickets",
                    "json": {"title": "Crash"},
                },
                "Create ticket",
            ),
            at(
                "notify",
                "action.webhook",
                600,
                {
                    "url": "https://hooks.example.invalid/chat",
                    "payload": {"ticket": "{{create.output.body.id}}"},
                },
                "Tell the team",
            ),
        ],
    )
    open_test_dialog(page, stack_url, agent_id, "notify")
    dialog = page.get_by_role("dialog", name="Test run")
    expect(dialog).to_contain_text("Steps that send or change something")
    dialog.get_by_label("Create ticket (create)").select_option(label="Preview, with a sample response")
    response = dialog.get_by_label("Sample response of Create ticket")
    assert json.loads(response.input_value())["status"] == 200  # starts from the shape of an HTTP response
    response.fill('{"status": 201, "headers": {}, "body": {"id": "T-7"}}')
    expect(dialog.get_by_label("Tell the team (notify)")).to_have_value("preview")
    shot(page, "testrun-sample-response")
    dialog.get_by_role("button", name="Run test").click()
    expect(run_state(page, "notify")).to_have_text("completed", timeout=60_000)

    panel = page.get_by_role("region", name="Test run")
    select_node(page, "create")
    detail = panel.get_by_test_id("step-detail")
    expect(detail).to_contain_text('"preview": true')  # still a preview: nothing was sent
    expect(detail).to_contain_text('"id": "T-7"')
    select_node(page, "notify")
    expect(detail).to_contain_text('"ticket": "T-7"')  # the next step read the sample
    expect(detail).to_contain_text('"preview": true')
    shot(page, "testrun-sample-read-downstream")


def test_validation_messages_read_as_sentences(page: Page, stack_url: str, console: Console) -> None:
    console.allow(r"422")  # the refused sign-up, on purpose
    page.goto(f"{stack_url}/signup")
    page.fill("#full_name", "Grace Hopper")
    page.fill("#email", unique_email("sentences"))
    page.fill("#password", PASSWORD)
    page.fill("#org_name", "   ")  # passes the browser's `required`, empty once trimmed
    page.get_by_role("button", name="Create account").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Organization name can't be empty")
    expect(alert).not_to_contain_text("org_name")
    shot(page, "testrun-validation-sentence")
    page.fill("#org_name", "Hopper Labs")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/agents")
