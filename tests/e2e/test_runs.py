"""Test runs, live node states, a human approval and run history, in the browser.

Needs the whole stack: the agents API, the engine and its in-process worker.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import node, sign_up, token_for, unique_email

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

APPROVAL_AGENT = {
    "nodes": [
        {
            "id": "start",
            "type": "trigger",
            "name": "Start",
            "config": {"kind": "manual"},
            "position": {"x": 0, "y": 0},
        },
        {
            "id": "wait",
            "type": "logic.delay",
            "name": "Short wait",
            "config": {"seconds": 0},
            "position": {"x": 300, "y": 0},
        },
        {
            "id": "approve",
            "type": "human.approval",
            "name": "Lead approves",
            "config": {"message": "Ship {{start.output.title}}?"},
            "position": {"x": 600, "y": 0},
        },
        {
            "id": "done",
            "type": "logic.delay",
            "name": "Done",
            "config": {"seconds": 0},
            "position": {"x": 900, "y": 0},
        },
    ],
    "edges": [
        {"source": "start", "target": "wait"},
        {"source": "wait", "target": "approve"},
        {"source": "approve", "target": "done", "source_handle": "approved"},
    ],
    "settings": {},
}


def fit_view(page: Page) -> None:
    """The test panel narrows the canvas: fit the graph again (a 200 ms animation) before a screenshot."""
    page.get_by_role("button", name="Fit view", exact=True).click()
    page.wait_for_timeout(500)


def test_test_run_lights_nodes_and_an_approval_resumes_it(page: Page, stack_url: str) -> None:
    email = unique_email("runner")
    sign_up(page, stack_url, email=email, org="Runners")
    created = httpx.post(
        f"{stack_url}/api/v1/agents",
        json={"name": "Ship it", "definition": APPROVAL_AGENT},
        headers={"Authorization": f"Bearer {token_for(stack_url, email)}"},
    )
    created.raise_for_status()
    agent_id = created.json()["id"]

    page.goto(f"{stack_url}/agents/{agent_id}")
    expect(node(page, "approve")).to_be_visible()
    page.get_by_role("button", name="Test", exact=True).click()
    page.fill("#test-input", '{"title": "release 1.2"}')
    page.get_by_role("button", name="Run test").click()

    # Nodes turn green as steps complete; the approval waits.
    expect(node(page, "start").get_by_test_id("run-state-start")).to_have_text("completed", timeout=60_000)
    expect(node(page, "wait").get_by_test_id("run-state-wait")).to_have_text("completed", timeout=60_000)
    expect(node(page, "approve").get_by_test_id("run-state-approve")).to_have_text("waiting", timeout=60_000)
    panel = page.get_by_role("region", name="Test run")
    expect(panel.get_by_test_id("approval")).to_contain_text("Ship release 1.2?")  # the rendered message
    fit_view(page)
    shot(page, "test-run-paused")
    panel.get_by_role("button", name="Approve", exact=True).click()
    expect(node(page, "done").get_by_test_id("run-state-done")).to_have_text("completed", timeout=60_000)
    expect(panel.get_by_text("completed").first).to_be_visible()
    fit_view(page)
    shot(page, "test-run-completed")

    # The run is in the history (by agent name, as a test run) with its steps, input and output.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Executions").click()
    runs = page.get_by_role("table", name="Executions")
    expect(runs).to_contain_text("Ship it")
    expect(runs).to_contain_text("test")
    expect(runs).to_contain_text("completed")
    runs.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/executions/[0-9a-f-]+$"))
    timeline = page.get_by_role("list", name="Timeline")
    for step_key in ("start", "wait", "approve", "done"):
        expect(timeline).to_contain_text(step_key)
    timeline.get_by_role("button", name=re.compile(r"^approve")).click()
    expect(page.get_by_test_id("step-detail")).to_contain_text('"approved": true')
    expect(page.get_by_text("release 1.2").first).to_be_visible()
    shot(page, "execution-detail")
