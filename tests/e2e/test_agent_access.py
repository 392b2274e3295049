"""An agent restricted from its Access tab: the owner grants one member the right to view it, and another
editor of the same organization no longer finds it (404, absent from the list)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import sign_up, token_for, unique_email
from tests.factories import PASSWORD

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _editor(api: str, owner: dict[str, str], name: str) -> dict[str, str]:
    """A new editor of the owner's organization (invited and accepted through the API): their headers."""
    invited = httpx.post(
        f"{api}/org/members/invite",
        json={"email": unique_email(name.split()[0].lower()), "role": "editor"},
        headers=owner,
    )
    assert invited.status_code == 201, invited.text
    accepted = httpx.post(
        f"{api}/invitations/{invited.json()['token']}/accept", json={"password": PASSWORD, "full_name": name}
    )
    assert accepted.status_code == 200, accepted.text
    return {"Authorization": f"Bearer {accepted.json()['access_token']}"}


def test_restricting_an_agent_hides_it_from_editors_without_a_grant(page: Page, stack_url: str) -> None:
    api = f"{stack_url}/api/v1"
    email = unique_email("access")
    sign_up(page, stack_url, email=email, org="Access Inc")
    owner = {"Authorization": f"Bearer {token_for(stack_url, email)}"}
    granted, other = _editor(api, owner, "Grace Hopper"), _editor(api, owner, "Alan Turing")
    agent = httpx.post(f"{api}/agents", json={"name": "Payroll"}, headers=owner)
    assert agent.status_code == 201, agent.text
    agent_id = agent.json()["id"]

    page.goto(f"{stack_url}/agents/{agent_id}/access")
    page.get_by_role("checkbox", name="Restricted").check()
    picker = page.get_by_role("combobox", name="Add a team or person")
    grace = picker.locator("option", has_text="Grace Hopper").get_attribute("value")
    assert grace and grace.startswith("user:")
    picker.select_option(grace)
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("checkbox", name="View: Grace Hopper", exact=False)).to_be_checked()
    page.get_by_role("button", name="Save access").click()
    expect(page.get_by_text("Access saved")).to_be_visible()
    shot(page, "agent-access")

    assert httpx.get(f"{api}/agents/{agent_id}", headers=granted).status_code == 200
    assert httpx.get(f"{api}/agents/{agent_id}", headers=other).status_code == 404
    listed = httpx.get(f"{api}/agents", headers=other).json()["items"]
    assert agent_id not in [a["id"] for a in listed]
    page.goto(f"{stack_url}/agents")
    expect(page.get_by_test_id("agent-card").filter(has_text="Payroll")).to_contain_text("restricted")
