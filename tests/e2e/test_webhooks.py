"""Outbound webhooks in the web app: add an endpoint (its secret shown once), send a test event, see the
delivery succeed in the endpoint's log. The receiver is the suite's loopback pet store, the one private
address the stack's egress guard allows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PETS_TOKEN, shot
from tests.e2e.helpers import sign_up, unique_email
from tests.fakes.custom_api import PetStore

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_add_endpoint_send_test_and_see_it_in_the_log(
    page: Page, stack_url: str, petstore: tuple[PetStore, str]
) -> None:
    store, _ = petstore
    store.reset(("none",))  # a receiver that takes any request (webhooks carry a signature, not a token)
    try:
        _journey(page, stack_url, petstore[1], store)
    finally:
        store.reset(("bearer", PETS_TOKEN))


def _journey(page: Page, stack_url: str, receiver: str, store: PetStore) -> None:
    sign_up(page, stack_url, email=unique_email("hooks"), org="Hooks Inc")
    page.goto(f"{stack_url}/settings/webhooks")
    expect(page.get_by_text("No webhook endpoints yet")).to_be_visible()
    page.get_by_role("button", name="Add endpoint").click()
    page.fill("#webhook-url", f"{receiver}/agentflow-events")
    page.get_by_role("dialog").get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_test_id("webhook-secret")
    expect(secret).to_have_value(re.compile(r"^whsec_"))
    value = secret.input_value()
    shot(page, "webhook-secret")
    page.get_by_role("button", name="I have stored it").click()
    endpoints = page.get_by_role("table", name="Webhook endpoints")
    expect(endpoints).to_contain_text("/agentflow-events")
    assert value not in page.content()

    endpoints.get_by_role("button", name="Send test").click()
    log = page.get_by_role("table", name="Deliveries")
    expect(log).to_contain_text("webhook.test")
    # Sent by the every-minute delivery flow (its first run may be a minute away); the log refreshes itself.
    expect(log).to_contain_text("succeeded", timeout=120_000)
    expect(log).to_contain_text("200")
    shot(page, "webhook-delivery-log")
    seen = [r for r in store.requests if r.raw_path == "/agentflow-events"]
    assert seen and seen[0].headers["webhook-signature"].startswith("v1,")
    assert seen[0].body["type"] == "webhook.test"
