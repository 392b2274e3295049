"""Governance settings in the web app against the real API: an IP allowlist that would lock the caller out
is refused with their address (added in one click), a bad range is explained, retention is saved with its
notice; an export of the audit log is written by its flow run and downloaded through its link."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Console, shot
from tests.e2e.helpers import sign_up, token_for, unique_email

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _org(stack_url: str, email: str) -> dict[str, object]:
    token = token_for(stack_url, email)
    response = httpx.get(f"{stack_url}/api/v1/org", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    settings: dict[str, object] = response.json()["settings"]
    return settings


def test_ip_allowlist_lockout_bad_range_and_retention(page: Page, stack_url: str, console: Console) -> None:
    # The refusals this test provokes on purpose.
    console.allow(r"status of (409|422)")
    email = unique_email("govern")
    sign_up(page, stack_url, email=email, org="Govern Inc")
    page.goto(f"{stack_url}/settings/organization")
    expect(page.get_by_label("Data region")).to_be_disabled()

    allowlist = page.locator("#ip-allowlist")
    allowlist.fill("203.0.113.0/24")
    page.get_by_role("button", name="Save allowlist").click()
    expect(page.get_by_role("alert")).to_contain_text("would lock you out")
    shot(page, "ip-allowlist-lockout")
    page.get_by_role("button", name="Add my address (127.0.0.1)").click()
    expect(allowlist).to_have_value("203.0.113.0/24\n127.0.0.1")
    page.get_by_role("button", name="Save allowlist").click()
    expect(page.get_by_text("In force: 2 entries.")).to_be_visible()
    assert _org(stack_url, email)["ip_allowlist"] == ["203.0.113.0/24", "127.0.0.1/32"]

    allowlist.fill("127.0.0.1\n10.0.0.300/8")
    page.get_by_role("button", name="Save allowlist").click()
    expect(page.get_by_role("alert")).to_contain_text("is not an IP address or CIDR range")

    allowlist.fill("")
    page.get_by_role("button", name="Save allowlist").click()
    expect(page.get_by_text("Not restricted")).to_be_visible()
    assert "ip_allowlist" not in _org(stack_url, email)

    page.get_by_label("Keep executions for").select_option("90")
    page.get_by_role("button", name="Save retention").click()
    expect(page.get_by_text("Nothing is deleted under this setting before")).to_be_visible()
    assert _org(stack_url, email)["retention_days"] == 90
    shot(page, "retention-saved")


def test_export_audit_log_and_download(page: Page, stack_url: str) -> None:
    email = unique_email("exports")
    sign_up(page, stack_url, email=email, org="Exports Inc")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Exports").click()
    expect(page.get_by_text("No exports yet")).to_be_visible()

    page.get_by_label("What").select_option("audit_logs")
    page.get_by_label("Format").select_option("csv")
    page.get_by_role("button", name="Create export").click()
    table = page.get_by_role("table", name="Exports")
    expect(table).to_contain_text("Audit log")
    # Written by a flow run; the list polls until it is done.
    expect(table).to_contain_text("ready", timeout=180_000)
    shot(page, "export-ready")

    with page.expect_download() as info:
        table.get_by_role("button", name="Download export of audit_logs (csv)").click()
    download = info.value
    assert download.suggested_filename.startswith("agentflow-audit_logs-")
    text = download.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, text
    assert "action" in rows[0]
    assert {row["actor_email"] for row in rows if row.get("actor_email")} <= {email}
