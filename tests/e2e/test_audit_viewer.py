"""The audit log viewer in the web app: changes made through the API appear, a filter by action narrows
the table, a row opens to its details, and the CSV export holds exactly the filtered rows."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.helpers import sign_up, token_for, unique_email

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SECRET_VALUE = "audit-e2e-value-never-shown"


def _auditable_changes(stack_url: str, token: str) -> None:
    """Two secrets and an API key: three entries, two of one action."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{stack_url}/api/v1", headers=headers, timeout=30) as api:
        for name in ("AUDIT_ALPHA", "AUDIT_BETA"):
            response = api.post("/org/secrets", json={"name": name, "value": SECRET_VALUE, "description": ""})
            assert response.status_code == 201, response.text
        response = api.post("/org/api-keys", json={"name": "audit e2e key"})
        assert response.status_code == 201, response.text


def test_audit_viewer_filters_expands_and_exports(page: Page, stack_url: str) -> None:
    email = unique_email("audit")
    sign_up(page, stack_url, email=email, org="Audit Inc")
    _auditable_changes(stack_url, token_for(stack_url, email))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Audit log").click()
    page.wait_for_url("**/settings/audit-log")
    table = page.get_by_role("table", name="Audit log")
    expect(table).to_contain_text("api_key.created")
    expect(table).to_contain_text("secret.created")
    shot(page, "audit-log")

    page.fill("#audit-action", "secret.created")
    page.get_by_role("button", name="Apply filters").click()
    expect(table).not_to_contain_text("api_key.created")
    toggles = table.get_by_role("button", name="Details of secret.created")
    expect(toggles).to_have_count(2)

    toggles.first.click()
    details = page.get_by_test_id("audit-details")
    expect(details).to_be_visible()
    shown = json.loads(details.inner_text())
    assert shown["changes"], shown
    assert SECRET_VALUE not in page.content()
    shot(page, "audit-log-details")

    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("audit-log-")
    path = download.path()
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["action"] for row in rows] == ["secret.created", "secret.created"]
    assert {row["actor_email"] for row in rows} == {email}
    assert SECRET_VALUE not in text
