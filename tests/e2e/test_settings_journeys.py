"""Settings journeys in the browser: AI providers (and the link an AI step without one shows), teams and the
approval node's approver picker, and navigation that only promises what exists."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import node, sign_up, token_for, unique_email
from tests.factories import PASSWORD
from tests.fakes.loopback import FakeAPI

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

TRIGGER = {
    "id": "start",
    "type": "trigger",
    "name": "Start",
    "config": {"kind": "manual"},
    "position": {"x": 0, "y": 0},
}


def _agent(
    stack_url: str, token: str, name: str, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]
) -> str:
    created = httpx.post(
        f"{stack_url}/api/v1/agents",
        json={"name": name, "definition": {"nodes": [TRIGGER, *nodes], "edges": edges, "settings": {}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    created.raise_for_status()
    return str(created.json()["id"])


def _test_run(page: Page) -> None:
    page.get_by_role("button", name="Test", exact=True).click()
    page.fill("#test-input", '{"ticket": "printer on fire"}')
    page.get_by_role("button", name="Run test").click()


def test_ai_providers_from_a_failed_step_to_a_working_one(
    page: Page, stack_url: str, openai_fake: tuple[FakeAPI, str]
) -> None:
    api, base_url = openai_fake
    email = unique_email("providers")
    sign_up(page, stack_url, email=email, org="Provider Co")
    agent_id = _agent(
        stack_url,
        token_for(stack_url, email),
        "Reply bot",
        [
            {
                "id": "reply",
                "type": "ai",
                "name": "Reply",
                "config": {
                    "operation": "chat",
                    "model": "gpt-4o-mini",
                    "prompt": "Answer {{start.output.ticket}}",
                },
                "position": {"x": 300, "y": 0},
            }
        ],
        [{"source": "start", "target": "reply"}],
    )

    # No provider yet: the AI step fails and says where to fix it.
    page.goto(f"{stack_url}/agents/{agent_id}")
    expect(node(page, "reply")).to_be_visible()
    _test_run(page)
    expect(node(page, "reply").get_by_test_id("run-state-reply")).to_have_text("failed", timeout=60_000)
    panel = page.get_by_role("region", name="Test run")
    panel.get_by_role("list", name="Timeline").get_by_role("button", name=re.compile(r"^reply")).click()
    link = panel.get_by_test_id("step-detail").get_by_role("link", name=re.compile("Set up an AI provider"))
    expect(link).to_be_visible()
    shot(page, "ai-step-without-provider")
    link.click()
    page.wait_for_url("**/settings/providers")
    expect(page.get_by_text("No AI providers yet")).to_be_visible()

    # Add an OpenAI-compatible server: the key is stored, never shown back.
    page.get_by_role("button", name="Add provider").click()
    dialog = page.get_by_role("dialog")
    page.select_option("#provider-kind", label="OpenAI-compatible server")
    page.fill("#provider-key", "sk-e2e-very-secret")
    page.fill("#provider-url", base_url)
    page.fill("#provider-model", "gpt-4o-mini")
    dialog.get_by_role("button", name="Save").click()
    table = page.get_by_role("table", name="AI providers")
    expect(table).to_contain_text("OpenAI-compatible server")
    expect(table).to_contain_text(base_url)
    expect(table).to_contain_text("Set")
    assert "sk-e2e-very-secret" not in page.content()

    # The live check calls the server with the stored key.
    table.get_by_role("button", name="Test connection").click()
    expect(table.get_by_text(re.compile(r"^Connected"))).to_be_visible()
    assert api.last.header("authorization") == "Bearer sk-e2e-very-secret"
    shot(page, "providers-connected")

    # Editing the model without retyping the key keeps the key.
    table.get_by_role("button", name="Edit").click()
    expect(page.get_by_text("A key is set. Leave empty to keep it.")).to_be_visible()
    page.fill("#provider-model", "gpt-4.1-mini")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(table).to_contain_text("gpt-4.1-mini")
    expect(table.get_by_text("Set", exact=True)).to_be_visible()

    # The organization's defaults: a default provider and a fallback chain, kept across a reload.
    page.select_option("#routing-provider", label="OpenAI")
    page.get_by_role("button", name="Add fallback model").click()
    page.get_by_label("Fallback model 1", exact=True).fill("gpt-4o")
    page.get_by_role("button", name="Save defaults").click()
    expect(page.get_by_text("Defaults saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Fallback model 1", exact=True)).to_have_value("gpt-4o")
    expect(page.locator("#routing-provider")).to_have_value("openai")

    # Back in the builder the same AI step now answers.
    page.goto(f"{stack_url}/agents/{agent_id}")
    expect(node(page, "reply")).to_be_visible()
    _test_run(page)
    expect(node(page, "reply").get_by_test_id("run-state-reply")).to_have_text("completed", timeout=60_000)
    assert any("printer on fire" in str(body) for body in api.bodies("/chat/completions"))

    # Removing asks first, then the provider is gone.
    page.goto(f"{stack_url}/settings/providers")
    page.get_by_role("table", name="AI providers").get_by_role("button", name="Remove").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No AI providers yet")).to_be_visible()


def _join(stack_url: str, owner_token: str, full_name: str) -> str:
    """Someone accepts an invitation to the organization (a precondition, not the journey); their email."""
    email = unique_email(full_name.split()[0].lower())
    invited = httpx.post(
        f"{stack_url}/api/v1/org/members/invite",
        json={"email": email, "role": "editor"},
        headers={"Authorization": f"Bearer {owner_token}"},
    )
    invited.raise_for_status()
    token = urlparse(invited.json()["accept_url"]).path.rsplit("/", 1)[-1]
    accepted = httpx.post(
        f"{stack_url}/api/v1/invitations/{token}/accept", json={"password": PASSWORD, "full_name": full_name}
    )
    assert accepted.status_code == 200, accepted.text
    return email


def test_teams_and_approvers_chosen_by_name(page: Page, stack_url: str) -> None:
    email = unique_email("teams")
    sign_up(page, stack_url, email=email, org="Team Co")  # as Ada Lovelace
    token = token_for(stack_url, email)
    grace = _join(stack_url, token, "Grace Hopper")

    # Create, rename and fill a team.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Teams").click()
    expect(page.get_by_text("No teams yet")).to_be_visible()
    page.get_by_role("button", name="Create team").click()
    page.fill("#team-name", "Support")
    page.fill("#team-description", "Answers customers")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    teams = page.get_by_role("table", name="Teams")
    expect(teams).to_contain_text("Support")
    teams.get_by_role("button", name="Rename").click()
    page.fill("#team-name", "Customer Support")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(teams).to_contain_text("Customer Support")

    teams.get_by_role("button", name="Members").click()
    page.select_option("#team-add-member", label=f"Ada Lovelace ({email})")
    page.get_by_role("button", name="Add", exact=True).click()
    members = page.get_by_role("table", name="Members of Customer Support")
    expect(members).to_contain_text("Ada Lovelace")
    page.select_option("#team-add-member", label=f"Grace Hopper ({grace})")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(members).to_contain_text("Grace Hopper")
    members.get_by_role("button", name="Remove Grace Hopper from Customer Support").click()
    expect(members).not_to_contain_text("Grace Hopper")
    shot(page, "team-members")

    # A second team, deleted after a confirmation.
    page.get_by_role("button", name="Create team").click()
    page.fill("#team-name", "Short-lived")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    row = teams.get_by_role("row").filter(has_text="Short-lived")
    row.get_by_role("button", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(teams).not_to_contain_text("Short-lived")

    # The approval node's approvers: searched and picked by name, a team adding its people.
    agent_id = _agent(
        stack_url,
        token,
        "Refunds",
        [
            {
                "id": "approve",
                "type": "human.approval",
                "name": "Lead approves",
                "config": {"message": "Refund {{start.output.ticket}}?"},
                "position": {"x": 300, "y": 0},
            }
        ],
        [{"source": "start", "target": "approve"}],
    )
    page.goto(f"{stack_url}/agents/{agent_id}")
    node(page, "approve").click()
    picker = page.get_by_test_id("approver-picker")
    search = picker.get_by_role("searchbox")
    search.fill("customer")
    picker.get_by_role("button", name=re.compile("^Customer Support")).click()
    chosen = picker.get_by_role("list", name="Approvers", exact=True)
    expect(chosen).to_contain_text("Ada Lovelace")
    search.fill("admin")
    picker.get_by_role("button", name=re.compile("^Admins and owners")).click()
    expect(chosen).to_contain_text("Admins and owners")
    chosen.get_by_role("button", name="Remove Admins and owners").click()
    expect(chosen).not_to_contain_text("Admins and owners")
    shot(page, "approver-picker")
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved", timeout=10_000)
    me = httpx.get(f"{stack_url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    draft = httpx.get(
        f"{stack_url}/api/v1/agents/{agent_id}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    approval = next(n for n in draft["draft"]["nodes"] if n["id"] == "approve")
    assert approval["config"]["approvers"] == [me["user"]["id"]]  # stored as the id, shown as the name

    # The run waits for Ada by name, and the decision names her too.
    _test_run(page)
    panel = page.get_by_role("region", name="Test run")
    expect(node(page, "approve").get_by_test_id("run-state-approve")).to_have_text("waiting", timeout=60_000)
    panel.get_by_role("button", name="Approve", exact=True).click()
    expect(node(page, "approve").get_by_test_id("run-state-approve")).to_have_text(
        "completed", timeout=60_000
    )
    panel.get_by_role("list", name="Timeline").get_by_role("button", name=re.compile(r"^approve")).click()
    expect(panel.get_by_test_id("approval-decision")).to_contain_text("Approved by Ada Lovelace")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Executions").click()
    page.get_by_role("table", name="Executions").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/executions/[0-9a-f-]+$"))
    page.get_by_role("list", name="Timeline").get_by_role("button", name=re.compile(r"^approve")).click()
    expect(page.get_by_test_id("approval-decision")).to_contain_text("Approved by Ada Lovelace")
    shot(page, "approval-decided-by-name")


# Words about how the product is made, never said to its users ("API" is a product word only for API keys
# and custom API integrations, so it is checked where neither appears).
INTERNAL_WORDS = re.compile(r"\bissues?\b|\bmocked\b|\bnot built\b")


def test_navigation_promises_only_what_exists(page: Page, stack_url: str) -> None:
    sign_up(page, stack_url, email=unique_email("nav"), org="Nav Co")
    nav = page.get_by_role("navigation", name="Main")

    # Built sections open real pages that speak no internals.
    for section, heading in (
        ("Integrations", "Integrations"),
        ("Knowledge", "Knowledge"),
        ("Analytics", "Analytics"),
        ("Executions", "Executions"),
    ):
        nav.get_by_role("link", name=section).click()
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
        expect(page.get_by_text("coming soon")).to_have_count(0)
        assert not INTERNAL_WORDS.search(page.locator("main").inner_text()), section

    # Templates is not ready: marked in the sidebar, and its page says so in plain words.
    templates = nav.get_by_role("link", name=re.compile("^Templates"))
    expect(templates).to_contain_text("Soon")
    templates.click()
    expect(page.get_by_text("Templates: coming soon")).to_be_visible()
    assert not re.search(r"\bissues?\b|\bmocked\b|\bAPI\b", page.locator("main").inner_text())
    shot(page, "templates-coming-soon")

    # Settings lists the sections that exist, each a working page.
    nav.get_by_role("link", name="Settings").click()
    tabs = page.get_by_role("navigation", name="Settings")
    for tab, marker in (
        ("Teams", "No teams yet"),
        ("AI providers", "No AI providers yet"),
        ("Billing", "Current plan"),
        ("Audit log", "Audit log"),
    ):
        tabs.get_by_role("link", name=tab, exact=True).click()
        expect(page.locator("main").get_by_text(marker).first).to_be_visible()
        assert not INTERNAL_WORDS.search(page.locator("main").inner_text()), tab
