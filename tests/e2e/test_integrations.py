"""Integrations in the browser: connect a custom API (a loopback pet store) through the form with an OpenAPI
import, see it listed and tested, use its actions in an agent in the builder, and test-run it: the GET runs
for real, the POST comes back as a preview of its request and never reaches the API.

The shared stack allowlists the pet store's loopback address (tests/e2e/conftest.py), nothing else private.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PETS_TOKEN, shot
from tests.e2e.helpers import connect, drop_onto_canvas, node, sign_up, token_for, unique_email
from tests.fakes.custom_api import PetStore, petstore_openapi

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def step_output(page: Page, node_id: str) -> str:
    """Select the node: the test panel shows its step's input and output."""
    node(page, node_id).click()
    detail = page.get_by_test_id("step-detail")
    expect(detail).to_be_visible()
    return detail.inner_text()


def test_connect_a_custom_api_and_use_it_in_an_agent(
    page: Page, stack_url: str, petstore: tuple[PetStore, str]
) -> None:
    store, pets_url = petstore
    email = unique_email("integrations")
    sign_up(page, stack_url, email=email, org="Pet Ops")
    headers = {"Authorization": f"Bearer {token_for(stack_url, email)}"}
    # The API token lives in an org secret; the connection names it and never holds the value.
    httpx.post(
        f"{stack_url}/api/v1/org/secrets", json={"name": "PETS_TOKEN", "value": PETS_TOKEN}, headers=headers
    ).raise_for_status()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    expect(page.get_by_text("Nothing connected yet")).to_be_visible()
    expect(page.get_by_test_id("catalog-custom_api")).to_be_visible()
    shot(page, "integrations-catalog")

    # The custom API form: name, base URL, bearer auth from the org secret, an OpenAPI import with a preview.
    page.get_by_role("button", name="Connect Custom API").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#custom-name").fill("Pet store")
    dialog.locator("#custom-auth-type").select_option("bearer")
    dialog.locator("#custom-auth-secret").select_option("PETS_TOKEN")
    dialog.get_by_role("radio", name="Import OpenAPI").check()
    dialog.locator("#openapi-document").fill(json.dumps(petstore_openapi(f"{pets_url}/v1")))
    preview = dialog.get_by_role("table", name="Actions to import")
    for name in ("listPets", "createPet", "showPetById", "deletePet"):
        expect(preview).to_contain_text(name)
    expect(dialog).to_contain_text(f"on {pets_url}/v1")
    shot(page, "integrations-custom-api-form")
    dialog.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # Listed: active, with its imported actions; connecting called the API with the secret's token.
    connections = page.get_by_role("list", name="Connected integrations")
    row = connections.get_by_role("listitem").filter(has_text="Pet store")
    expect(row).to_contain_text("Custom API")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "active")
    assert store.requests, "connecting sent no request to the API"
    assert all(seen.headers.get("authorization") == f"Bearer {PETS_TOKEN}" for seen in store.requests)
    row.get_by_role("button", name="Test", exact=True).click()
    expect(row.get_by_role("status")).to_contain_text("Connection works")
    shot(page, "integrations-connected")
    connection = next(c for c in httpx.get(f"{stack_url}/api/v1/integrations", headers=headers).json())
    assert {"listPets", "createPet"} <= {a["name"] for a in connection["actions"]}
    assert PETS_TOKEN not in json.dumps(connection)

    # An agent: its actions are in the builder's palette, grouped under the connection.
    created = httpx.post(
        f"{stack_url}/api/v1/agents",
        json={
            "name": "Pet intake",
            "definition": {
                "nodes": [{"id": "start", "type": "trigger", "config": {"kind": "manual"}}],
                "edges": [],
                "settings": {},
            },
        },
        headers=headers,
    )
    created.raise_for_status()
    page.goto(f"{stack_url}/agents/{created.json()['id']}")
    expect(node(page, "start")).to_be_visible()
    group = page.get_by_test_id(f"palette-connection-{connection['id']}")
    expect(group).to_contain_text("Pet store")
    drop_onto_canvas(page, f"[data-testid='palette-action-{connection['id']}-listPets']", 420, 200)
    expect(node(page, "list_pets")).to_be_visible()
    drop_onto_canvas(page, f"[data-testid='palette-action-{connection['id']}-createPet']", 760, 200)
    expect(node(page, "create_pet")).to_be_visible()
    connect(page, "start", "list_pets")
    connect(page, "list_pets", "create_pet", handle="default")
    expect(page.locator(".react-flow__edge")).to_have_count(2)

    # The params form comes from each action's schema; the dropped node is pre-filled with its connection.
    node(page, "list_pets").click()
    panel = page.get_by_test_id("config-panel")
    expect(panel.locator("#cfg-connection_id")).to_have_value(connection["id"])
    expect(panel.locator("#cfg-action")).to_have_value("listPets")
    panel.locator("#cfg-params-limit").fill("2")
    node(page, "create_pet").click()
    expect(panel.locator("#cfg-action")).to_have_value("createPet")
    expect(panel).to_contain_text("Test runs show the request instead of sending it.")
    panel.locator("#cfg-params-body-name").fill("{{start.output.pet}}")
    panel.locator("#cfg-params-body-tag").fill("intake")
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved", timeout=10_000)
    shot(page, "integrations-builder")

    # A test run: the GET reaches the pet store; the POST is previewed, not sent.
    store.requests.clear()
    page.get_by_role("button", name="Test", exact=True).click()
    page.fill("#test-input", '{"pet": "Bella"}')
    page.get_by_role("button", name="Run test").click()
    for node_id in ("start", "list_pets", "create_pet"):
        state = node(page, node_id).get_by_test_id(f"run-state-{node_id}")
        expect(state).to_have_text("completed", timeout=90_000)

    listed = step_output(page, "list_pets")
    assert "Rex" in listed, listed
    previewed = step_output(page, "create_pet")
    assert re.search(r'"preview":\s*true', previewed), previewed
    assert "POST" in previewed and f"{pets_url}/v1/pets" in previewed and "Bella" in previewed, previewed
    shot(page, "integrations-test-run")

    sent = [(seen.method, seen.raw_path, seen.query) for seen in store.requests]
    assert sent == [("GET", "/v1/pets", {"limit": ["2"]})], sent
    assert store.last.headers["authorization"] == f"Bearer {PETS_TOKEN}"

    # Disconnecting asks first, then the connection is gone.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    page.get_by_role("button", name="Disconnect Pet store").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("Nothing connected yet")).to_be_visible()
