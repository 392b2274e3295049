"""Running published agents from the web app: the Run dialog, retrying a failed run, honest run history and
the webhook URL, each walked by clicks and typing.

Agents are created and published through the API (a precondition, not the journey); everything the person
does afterwards happens in the browser.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PETS_TOKEN, shot
from tests.e2e.helpers import node, sign_up, token_for, unique_email
from tests.fakes.custom_api import PetStore

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

EXECUTION_URL = re.compile(r".*/executions/([0-9a-f-]{36})$")


def trigger(config: dict[str, Any]) -> dict[str, Any]:
    return {"id": "start", "type": "trigger", "name": "Start", "config": config, "position": {"x": 0, "y": 0}}


def delay(node_id: str, x: int) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "logic.delay",
        "name": node_id.title(),
        "config": {"seconds": 0},
        "position": {"x": x, "y": 0},
    }


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"nodes": list(nodes), "edges": edges, "settings": {}}


class Api:
    """The preconditions a journey starts from, set up as the signed-up owner."""

    def __init__(self, stack_url: str, email: str) -> None:
        self.base = f"{stack_url}/api/v1"
        self.headers = {"Authorization": f"Bearer {token_for(stack_url, email)}"}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=30)
        assert response.status_code < 300, response.text
        return dict(response.json())

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.base}{path}", headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def published(self, name: str, definition: dict[str, Any]) -> str:
        agent_id = str(self.post("/agents", {"name": name, "definition": definition})["id"])
        self.post(f"/agents/{agent_id}/publish", {"message": "first"})
        return agent_id

    def wait_for(self, execution_id: str, *statuses: str) -> dict[str, Any]:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            execution = dict(self.get(f"/executions/{execution_id}"))
            if execution["status"] in statuses:
                return execution
            time.sleep(0.5)
        raise AssertionError(f"execution {execution_id} never reached {statuses}")


def run_status(page: Page, status: str) -> Any:
    """The run's own status on its page (steps have status badges too)."""
    return page.get_by_test_id("run-status").locator(f"[data-status='{status}']")


def signed_up(page: Page, stack_url: str, prefix: str, org: str) -> Api:
    email = unique_email(prefix)
    sign_up(page, stack_url, email=email, org=org)
    return Api(stack_url, email)


def test_run_button_runs_a_published_agent_with_a_form_from_its_input_schema(
    page: Page, stack_url: str
) -> None:
    api = signed_up(page, stack_url, "run-button", "Run button")
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "title": "Title", "description": "What to ship"},
            "count": {"type": "integer", "title": "Count", "minimum": 1},
            "urgent": {"type": "boolean", "title": "Urgent"},
            "priority": {"type": "string", "title": "Priority", "enum": ["low", "high"]},
        },
        "required": ["title", "count"],
    }
    api.published(
        "Release notes", chain(trigger({"kind": "manual", "input_schema": schema}), delay("wait", 300))
    )

    # From the agents list: the row's Run button opens a form generated from the input schema.
    page.goto(f"{stack_url}/agents?view=list")
    page.get_by_role("button", name="Run Release notes").click()
    dialog = page.get_by_role("dialog", name="Run Release notes")
    expect(dialog.get_by_label("Title")).to_be_visible()
    dialog.get_by_role("button", name="Run now").click()
    expect(dialog.get_by_text("Title is required.")).to_be_visible()
    expect(dialog.get_by_text("Count is required.")).to_be_visible()
    dialog.get_by_label("Title").fill("Release 1.2")
    dialog.get_by_label("Count").fill("1.5")
    dialog.get_by_role("button", name="Run now").click()
    expect(dialog.get_by_text("Count must be a whole number.")).to_be_visible()
    dialog.get_by_label("Count").fill("0")
    dialog.get_by_role("button", name="Run now").click()
    expect(dialog.get_by_text("Count must be at least 1.")).to_be_visible()
    dialog.get_by_label("Count").fill("3")
    dialog.get_by_label("Urgent").check()
    dialog.get_by_label("Priority").select_option("high")
    shot(page, "run-dialog-form")
    dialog.get_by_role("button", name="Run now").click()

    # The live execution page of the real run, with the typed input.
    page.wait_for_url(EXECUTION_URL)
    expect(page.get_by_role("heading", name="Execution")).to_be_visible()
    expect(page.locator("dd").filter(has_text="v1")).to_be_visible()
    expect(run_status(page, "completed")).to_be_visible(timeout=60_000)
    match = EXECUTION_URL.match(page.url)
    assert match
    assert api.get(f"/executions/{match.group(1)}")["input"] == {
        "title": "Release 1.2",
        "count": 3,
        "urgent": True,
        "priority": "high",
    }

    # From the agent page: the same button, this time with the JSON editor.
    page.goto(f"{stack_url}/agents")
    page.get_by_role("link", name="Release notes").first.click()
    page.get_by_role("button", name="Run Release notes").click()
    dialog = page.get_by_role("dialog", name="Run Release notes")
    dialog.get_by_role("button", name="Edit as JSON").click()
    editor = dialog.get_by_label("Input (JSON)")
    expect(editor).to_have_value(re.compile(r'"urgent": false'))
    editor.fill('{"title": "Hotfix", "count": ')
    dialog.get_by_role("button", name="Run now").click()
    expect(dialog.get_by_text(re.compile("This isn't valid JSON yet"))).to_be_visible()
    editor.fill('{"title": "Hotfix", "count": 1}')
    dialog.get_by_role("button", name="Run now").click()
    page.wait_for_url(EXECUTION_URL)
    expect(page.get_by_text("Hotfix").first).to_be_visible()
    expect(run_status(page, "completed")).to_be_visible(timeout=60_000)
    shot(page, "run-dialog-execution")


def test_a_failed_run_is_retried_from_the_failed_step_run_again_and_cancelled_after_a_confirmation(
    page: Page, stack_url: str, petstore: tuple[PetStore, str]
) -> None:
    petstore[0].reset(("bearer", PETS_TOKEN))  # the suite's default: another journey may have changed it
    api = signed_up(page, stack_url, "retry", "Retries")
    fetch = {
        "id": "fetch",
        "type": "action.http",
        "name": "Fetch pets",
        "config": {
            "method": "GET",
            "url": f"{petstore[1]}/v1/pets",
            "auth": {"type": "bearer", "secret": "PETS_KEY"},
        },
        "position": {"x": 600, "y": 0},
    }
    agent_id = api.published("Pet report", chain(trigger({"kind": "manual"}), delay("wait", 300), fetch))
    # The run fails at the request: the secret it authenticates with does not exist yet.
    failed = api.post(f"/agents/{agent_id}/execute", {"input": {"who": "Ada"}})["id"]
    api.wait_for(failed, "failed")
    waited_before = {s["step_key"]: s for s in api.get(f"/executions/{failed}/steps")}["wait"]

    page.goto(f"{stack_url}/executions/{failed}")
    expect(run_status(page, "failed")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="PETS_KEY")).to_be_visible()
    shot(page, "retry-failed")
    # The person fixes the cause (stores the secret), then retries from the failed step.
    api.post("/org/secrets", {"name": "PETS_KEY", "value": PETS_TOKEN})
    page.get_by_role("button", name="Retry from the failed step").click()
    expect(run_status(page, "completed")).to_be_visible(timeout=60_000)
    expect(page.locator("dl")).to_contain_text("Attempt2")
    assert page.url.endswith(failed)  # the same run, resumed
    steps = {s["step_key"]: s for s in api.get(f"/executions/{failed}/steps")}
    assert steps["wait"]["started_at"] == waited_before["started_at"]  # reused, not run again
    assert steps["fetch"]["status"] == "completed"

    # Run again from the start: a new execution with the same input.
    page.get_by_role("button", name="Run again from the start").click()
    page.wait_for_url(lambda url: EXECUTION_URL.match(url) is not None and not url.endswith(failed))
    expect(run_status(page, "completed")).to_be_visible(timeout=60_000)
    expect(page.locator("dl")).to_contain_text("Attempt1")
    match = EXECUTION_URL.match(page.url)
    assert match and api.get(f"/executions/{match.group(1)}")["input"] == {"who": "Ada"}

    # Cancel asks first: keeping it running changes nothing, confirming cancels.
    approval = {
        "id": "review",
        "type": "human.approval",
        "name": "Review",
        "config": {"message": "Go ahead?"},
        "position": {"x": 300, "y": 0},
    }
    waiting_agent = api.published("Needs a yes", chain(trigger({"kind": "manual"}), approval))
    paused = api.post(f"/agents/{waiting_agent}/execute", {"input": {}})["id"]
    api.wait_for(paused, "paused")
    page.goto(f"{stack_url}/executions/{paused}")
    expect(page.get_by_text("waiting for approval").first).to_be_visible()
    page.get_by_role("button", name="Cancel run").click()
    confirm = page.get_by_role("alertdialog", name="Cancel this run?")
    expect(confirm).to_contain_text("nobody can approve it")
    confirm.get_by_role("button", name="Keep running").click()
    expect(confirm).to_be_hidden()
    assert api.get(f"/executions/{paused}")["status"] == "paused"
    page.get_by_role("button", name="Cancel run").click()
    page.get_by_role("alertdialog", name="Cancel this run?").get_by_role("button", name="Cancel run").click()
    expect(run_status(page, "cancelled")).to_be_visible()
    shot(page, "retry-cancelled")


def test_run_history_marks_test_runs_rejections_waiting_approvals_and_versions(
    page: Page, stack_url: str
) -> None:
    api = signed_up(page, stack_url, "history", "History")
    approval = {
        "id": "review",
        "type": "human.approval",
        "name": "Review",
        "config": {"message": "Publish {{start.output.title}}?"},
        "position": {"x": 300, "y": 0},
    }
    agent_id = api.published("Blog post", chain(trigger({"kind": "manual"}), approval))
    rejected = api.post(f"/agents/{agent_id}/execute", {"input": {"title": "draft A"}})["id"]
    waiting = api.post(f"/agents/{agent_id}/execute", {"input": {"title": "draft B"}})["id"]
    for execution_id in (rejected, waiting):
        api.wait_for(execution_id, "paused")
    tried = api.post(f"/agents/{agent_id}/test", {"input": {"title": "draft C"}})["id"]
    api.wait_for(tried, "paused")

    # The person rejects one run on its page.
    page.goto(f"{stack_url}/executions/{rejected}")
    expect(page.get_by_text("Publish draft A?")).to_be_visible()
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.get_by_test_id("run-status")).to_contain_text("rejected", timeout=60_000)

    # The agent's run history: rejected, waiting for approval, the Test mark and the version of each run.
    page.goto(f"{stack_url}/agents/{agent_id}/executions")
    runs = page.get_by_role("table", name="Executions")
    rows = runs.get_by_role("row")
    expect(rows).to_have_count(4)
    expect(runs.get_by_role("columnheader", name="Version")).to_be_visible()
    test_row = rows.filter(has_text="Test")
    expect(test_row).to_have_count(1)
    expect(test_row).to_contain_text("draft")
    expect(test_row).to_contain_text("waiting for approval")
    expect(rows.filter(has_text="rejected")).to_contain_text("v1")
    expect(rows.filter(has_text="waiting for approval").filter(has_text="v1")).to_have_count(1)
    expect(page.get_by_text("not counted in an agent's success rate")).to_be_visible()
    shot(page, "run-history")

    # The success rate counts the real run that finished (the rejected one completed), not the test run.
    page.goto(f"{stack_url}/agents?view=list")
    expect(page.get_by_role("row", name=re.compile("Blog post"))).to_contain_text("100%")


def test_webhook_url_is_copied_and_rotated_on_the_agent_page_and_in_the_trigger_panel(
    page: Page, stack_url: str
) -> None:
    api = signed_up(page, stack_url, "webhook-url", "Webhook URL")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    agent_id = api.published("Inbox", chain(trigger({"kind": "webhook"}), delay("wait", 300)))

    page.goto(f"{stack_url}/agents/{agent_id}")
    bar = page.get_by_label("Webhook URL", exact=True).first
    expect(bar).to_have_value(re.compile(r"/api/v1/hooks/"))
    url = bar.input_value()
    page.get_by_role("button", name="Copy webhook URL").first.click()
    expect(page.get_by_text("Webhook URL copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    assert httpx.post(url, json={"hello": "world"}, timeout=30).status_code == 202

    # The trigger's config panel shows the same URL.
    node(page, "start").click()
    panel = page.get_by_role("complementary", name="Configuration")
    expect(panel.get_by_label("Webhook URL", exact=True)).to_have_value(url)

    # A webhook agent's Run button explains how it runs.
    page.get_by_role("button", name="Run Inbox").click()
    dialog = page.get_by_role("dialog", name="Run Inbox")
    expect(dialog).to_contain_text("runs when a request is sent to its webhook URL")
    dialog.get_by_role("button", name="Close").click()

    # Rotation asks first; then the old URL stops working and the new one starts the agent.
    panel.get_by_role("button", name="Rotate webhook URL").click()
    confirm = page.get_by_role("alertdialog", name="Rotate the webhook URL?")
    expect(confirm).to_contain_text("stops working at once")
    confirm.get_by_role("button", name="Rotate URL").click()
    expect(panel.get_by_label("Webhook URL", exact=True)).not_to_have_value(url)
    rotated = panel.get_by_label("Webhook URL", exact=True).input_value()
    expect(page.get_by_label("Webhook URL", exact=True).first).to_have_value(rotated)
    assert httpx.post(url, json={}, timeout=30).status_code == 404
    assert httpx.post(rotated, json={}, timeout=30).status_code == 202
    shot(page, "webhook-url-rotated")
