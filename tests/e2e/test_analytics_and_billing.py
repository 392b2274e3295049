"""Analytics charts for real executions, and the billing page's plan and usage, in the browser.

Seeds by running a published agent through the API (real engine and worker), so the figures come from the
same executions the rest of the product records. `agentflow up` has no Stripe key: billing is off and the
organization is on the unlimited self-hosted plan.
"""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import sign_up, token_for, unique_email

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

RUNS = 3
# The chart's own drawing surface (legend icons are small surfaces of their own).
CHART = ".recharts-wrapper > svg.recharts-surface"

QUICK_AGENT = {
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
    ],
    "edges": [{"source": "start", "target": "wait"}],
    "settings": {},
}


def seed_executions(stack_url: str, token: str, name: str) -> str:
    """Publish an agent and run it RUNS times (manual runs; test runs are not counted); wait for them."""
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{stack_url}/api/v1/agents", json={"name": name, "definition": QUICK_AGENT}, headers=headers
    )
    created.raise_for_status()
    agent_id = str(created.json()["id"])
    httpx.post(
        f"{stack_url}/api/v1/agents/{agent_id}/publish", json={"message": "v1"}, headers=headers
    ).raise_for_status()
    for i in range(RUNS):
        httpx.post(
            f"{stack_url}/api/v1/agents/{agent_id}/execute", json={"input": {"n": i}}, headers=headers
        ).raise_for_status()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        listed = httpx.get(
            f"{stack_url}/api/v1/executions", params={"agent_id": agent_id, "limit": 50}, headers=headers
        ).json()["items"]
        if len(listed) == RUNS and all(e["status"] == "completed" for e in listed):
            return agent_id
        time.sleep(1)
    raise AssertionError(f"the seeded runs did not finish: {listed}")


def test_analytics_page_renders_charts_for_seeded_executions(page: Page, stack_url: str) -> None:
    email = unique_email("analyst")
    sign_up(page, stack_url, email=email, org="Analysts")
    agent_id = seed_executions(stack_url, token_for(stack_url, email), "Nightly digest")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    page.wait_for_url("**/analytics")
    expect(page.get_by_text("days in UTC")).to_be_visible()
    executions = page.get_by_role("group", name="Executions")
    expect(executions).to_contain_text(str(RUNS))
    expect(page.get_by_role("group", name="Success rate")).to_contain_text("100%")
    expect(page.get_by_role("group", name="Active agents")).to_contain_text("1")

    over_time = page.get_by_role("figure", name="Executions over time")
    expect(over_time.locator(CHART)).to_be_visible()
    expect(over_time.locator(".recharts-line")).to_have_count(3)
    expect(page.get_by_role("figure", name="Tokens by provider").locator(CHART)).to_be_visible()
    expect(page.get_by_role("figure", name="Cost by agent").locator(CHART)).to_be_visible()
    top = page.get_by_role("table", name="Top agents")
    expect(top).to_contain_text("Nightly digest")
    expect(top.get_by_role("row").nth(1)).to_contain_text(str(RUNS))
    shot(page, "analytics")

    # A 7-day range asks again and still holds today's runs; the agent's own analytics shows its trend.
    page.get_by_role("button", name="7 days").click()
    page.wait_for_url("**/analytics?range=7")
    expect(executions).to_contain_text(str(RUNS))
    top.get_by_role("link", name="Nightly digest").click()
    page.wait_for_url(f"**/agents/{agent_id}/analytics")
    expect(page.get_by_role("heading", name="Analytics: Nightly digest")).to_be_visible()
    expect(page.get_by_role("figure", name="Success rate").locator(CHART)).to_be_visible()
    expect(
        page.get_by_role("figure", name="Duration").locator(".recharts-bar-rectangle").first
    ).to_be_attached()
    shot(page, "agent-analytics")


def test_billing_page_shows_the_self_hosted_plan_and_usage(page: Page, stack_url: str) -> None:
    email = unique_email("payer")
    sign_up(page, stack_url, email=email, org="Payers")
    seed_executions(stack_url, token_for(stack_url, email), "Invoice reader")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Billing").click()
    page.wait_for_url("**/settings/billing")
    expect(page.get_by_text("Current plan: ")).to_be_visible()
    expect(page.get_by_text("does not charge for usage")).to_be_visible()
    expect(page.get_by_role("group", name="Agents")).to_contain_text("1 · Unlimited")
    expect(page.get_by_role("group", name="Executions this period")).to_contain_text(f"{RUNS} · Unlimited")
    expect(page.get_by_role("group", name="Seats")).to_contain_text("1 · Unlimited")
    expect(page.get_by_role("group", name="Knowledge storage")).to_contain_text("Unlimited")
    # Billing is off: nothing to buy and no portal.
    expect(page.get_by_role("button", name="Manage billing")).to_have_count(0)
    expect(page.get_by_role("button", name="Upgrade", exact=False)).to_have_count(0)
    shot(page, "billing")

    # The bell is in the top bar; a new organization has nothing yet.
    page.get_by_role("button", name="Notifications").click()
    expect(page.get_by_text("You have no notifications.")).to_be_visible()
