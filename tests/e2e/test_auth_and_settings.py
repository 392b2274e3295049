"""Sign up, see the dashboard, keep the session across a reload, manage API keys and members, switch org."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import sign_up, token_for, unique_email
from tests.factories import PASSWORD

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_signup_dashboard_api_key_and_invitation(page: Page, stack_url: str) -> None:
    page.goto(stack_url)
    page.wait_for_url("**/login")  # signed out: the dashboard redirects to the login page
    email = unique_email("owner")
    sign_up(page, stack_url, email=email, org="Acme Support")

    expect(page.get_by_role("button", name="Switch organization")).to_have_text("Acme Support")
    nav = page.get_by_role("navigation", name="Main")
    for section in (
        "Agents",
        "Executions",
        "Integrations",
        "Knowledge",
        "Templates",
        "Analytics",
        "Settings",
    ):
        expect(nav.get_by_role("link", name=section)).to_be_visible()
    expect(page.get_by_text("No agents yet")).to_be_visible()
    shot(page, "dashboard")

    # The access token lives in memory only: a reload restores the session from the httpOnly cookie.
    page.reload()
    expect(page.get_by_role("heading", name="Agents", exact=True)).to_be_visible()
    nav.get_by_role("link", name="Knowledge").click()
    expect(page.get_by_text("No knowledge bases yet")).to_be_visible()

    # API key: the full key is shown once, works against the API, and is gone once the dialog closes.
    nav.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("button", name="Create API key").click()
    page.fill("#key-name", "CI pipeline")
    page.get_by_role("button", name="Create key").click()
    key_input = page.get_by_test_id("new-api-key")
    expect(key_input).to_have_value(re.compile(r"^af_"))
    key = key_input.input_value()
    shot(page, "api-key-created")
    me = httpx.get(f"{stack_url}/api/v1/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["org"]["name"] == "Acme Support"
    page.get_by_role("button", name="I have stored it").click()
    table = page.get_by_role("table", name="API keys")
    expect(table).to_contain_text("CI pipeline")
    expect(table).to_contain_text(key[:8])
    assert key not in page.content()

    # Secrets: the real list (names, descriptions, versions); the value is write-only and never shown again.
    page.get_by_role("link", name="Secrets").click()
    expect(page.get_by_text("No secrets yet")).to_be_visible()
    page.get_by_role("button", name="Add secret").click()
    page.fill("#secret-name", "TRACKER_TOKEN")
    page.fill("#secret-value", "s3cret-value-123")
    page.fill("#secret-description", "Issue tracker")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    secrets = page.get_by_role("table", name="Secrets")
    expect(secrets).to_contain_text("TRACKER_TOKEN")
    expect(secrets).to_contain_text("Issue tracker")
    expect(secrets).to_contain_text("v1")
    assert "s3cret-value-123" not in page.content()
    listed = httpx.get(f"{stack_url}/api/v1/org/secrets", headers={"X-API-Key": key}).json()
    assert [s["name"] for s in listed["items"]] == ["TRACKER_TOKEN"]

    # Invite a member; the invitation is pending and its link lets them join.
    page.get_by_role("link", name="Members").click()
    page.get_by_role("button", name="Invite member").click()
    invitee = unique_email("member")
    page.fill("#invite-email", invitee)
    page.select_option("#invite-role", "viewer")
    page.get_by_role("button", name="Send invitation").click()
    link = page.locator("#invite-link").input_value()
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("table", name="Pending invitations")).to_contain_text(invitee)
    shot(page, "members")

    # The invitee opens the link in their own browser, sets a password and lands in the org as a viewer.
    other = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        guest = other.new_page()
        guest.goto(f"{stack_url}{urlparse(link).path}")
        expect(guest.get_by_role("heading", name="Join Acme Support")).to_be_visible()
        guest.fill("#full_name", "Grace Hopper")
        guest.fill("#password", PASSWORD)
        guest.get_by_role("button", name="Accept invitation").click()
        guest.wait_for_url("**/agents")
        expect(guest.get_by_role("button", name="User menu")).to_contain_text("Grace Hopper")
        expect(guest.get_by_role("button", name="New agent")).to_have_count(0)  # viewers cannot create agents
    finally:
        other.close()
    page.reload()
    expect(page.get_by_role("table", name="Members")).to_contain_text(invitee)


def test_org_switcher_and_sign_out(page: Page, stack_url: str) -> None:
    email = unique_email("multi")
    sign_up(page, stack_url, email=email, org="First Org")
    # Someone else's org invites the same person; accepting with their token adds a second membership.
    other_email = unique_email("beta-owner")
    beta = httpx.post(
        f"{stack_url}/api/v1/auth/signup",
        json={"email": other_email, "password": PASSWORD, "org_name": "Beta Org"},
    ).json()
    invitation = httpx.post(
        f"{stack_url}/api/v1/org/members/invite",
        json={"email": email, "role": "admin"},
        headers={"Authorization": f"Bearer {beta['access_token']}"},
    ).json()
    token = urlparse(invitation["accept_url"]).path.rsplit("/", 1)[-1]
    accepted = httpx.post(
        f"{stack_url}/api/v1/invitations/{token}/accept",
        json={},
        headers={"Authorization": f"Bearer {token_for(stack_url, email)}"},
    )
    assert accepted.status_code == 200, accepted.text

    page.reload()
    page.get_by_role("button", name="Switch organization").click()
    page.get_by_role("menuitem", name="Beta Org").click()
    expect(page.get_by_role("button", name="Switch organization")).to_have_text("Beta Org")
    page.get_by_role("link", name="Settings").click()
    expect(page.locator("#org-name")).to_have_value("Beta Org")

    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto(f"{stack_url}/settings")
    page.wait_for_url("**/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/settings/organization")
