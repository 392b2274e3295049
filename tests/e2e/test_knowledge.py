"""Knowledge bases in the browser: create one, upload a Markdown file, watch it turn ready, run a test query.

Needs the whole stack: the knowledge API, the ingestion flow on the in-process worker and the offline model.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Console, shot
from tests.e2e.helpers import sign_up, unique_email

pytestmark = [pytest.mark.stack, pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# A first ingestion on a cold stack starts a flow run and loads the offline model, on two busy cores.
INGESTION_TIMEOUT_MS = 180_000

RETURNS_MD = b"""# Returns policy

Customers may return any unworn item within 30 days of delivery for a full refund.
Print the prepaid label from the order page and drop the parcel at any post office.

## Damaged parcels

If a parcel arrives damaged, open a claim with the code RMA-7731 and attach a photo of the box.
Claims are answered within two working days.

## Gift cards

Gift cards cannot be returned or exchanged for cash.
"""


def test_create_upload_ready_and_query(page: Page, stack_url: str, console: Console) -> None:
    # The refused upload below is answered 415 on purpose; Chromium logs every 4xx resource load.
    console.allow(r"status of 415")
    sign_up(page, stack_url, email=unique_email("knowledge"), org="Acme Knowledge")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    expect(page.get_by_text("No knowledge bases yet")).to_be_visible()

    page.get_by_role("button", name="New knowledge base").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Support handbook")
    dialog.get_by_label("Description").fill("Returns and claims")
    dialog.get_by_label("Chunking strategy").select_option("structure")
    dialog.get_by_role("button", name="Create knowledge base").click()
    page.wait_for_url(re.compile(r"/knowledge/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name="Support handbook")).to_be_visible()
    expect(page.get_by_text("No documents yet")).to_be_visible()

    # The file picker's input, as a user choosing a file from disk does.
    page.locator("#kb-files").set_input_files(
        {"name": "returns.md", "mimeType": "text/markdown", "buffer": RETURNS_MD}
    )
    upload = page.get_by_test_id("upload-row").filter(has_text="returns.md")
    expect(upload).to_have_attribute("data-state", "done")
    document = page.get_by_role("table", name="Documents").get_by_test_id("document-row")
    expect(document).to_contain_text("returns.md")
    shot(page, "knowledge-ingesting")
    expect(document).to_have_attribute("data-status", "ready", timeout=INGESTION_TIMEOUT_MS)
    expect(page.get_by_test_id("kb-documents")).to_have_text("1")
    expect(page.get_by_test_id("kb-chunks")).not_to_have_text("0")

    page.get_by_label("Query", exact=True).fill("how do I claim a damaged parcel")
    page.get_by_label("Mode").select_option("hybrid")
    page.get_by_role("button", name="Search").click()
    first = page.get_by_test_id("query-result").first
    expect(first).to_contain_text("returns.md")
    expect(first).to_contain_text("RMA-7731")
    expect(first).to_contain_text("Damaged parcels")
    expect(first).to_contain_text(re.compile(r"score \d"))
    expect(first.locator("mark").first).to_be_visible()
    shot(page, "knowledge-query")

    # An exact code: keyword search finds it too.
    page.get_by_label("Query", exact=True).fill("RMA-7731")
    page.get_by_label("Mode").select_option("keyword")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("query-result").first.locator("mark")).to_have_text("RMA-7731")

    # A file whose content is not a supported type: refused on that file, with the API's list of types.
    page.locator("#kb-files").set_input_files(
        {
            "name": "setup.exe",
            "mimeType": "application/octet-stream",
            "buffer": b"MZ\x90\x00" + bytes(range(256)),
        }
    )
    refused = page.get_by_test_id("upload-row").filter(has_text="setup.exe")
    expect(refused).to_have_attribute("data-state", "failed")
    expect(refused.get_by_role("alert")).to_contain_text("Supported types")
    expect(page.get_by_role("table", name="Documents").get_by_test_id("document-row")).to_have_count(1)

    # The list shows the counts; deleting warns about what goes with it.
    page.get_by_role("link", name="Knowledge", exact=True).first.click()
    row = page.get_by_role("table", name="Knowledge bases").get_by_role(
        "row", name=re.compile("Support handbook")
    )
    expect(row).to_contain_text("Returns and claims")
    expect(row).to_contain_text("local/multilingual-e5-small")
    row.get_by_role("link", name="Support handbook").click()
    page.get_by_role("button", name="Delete", exact=True).first.click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("deletes 1 document and their")
    confirm.get_by_role("button", name="Delete knowledge base").click()
    page.wait_for_url("**/knowledge")
    expect(page.get_by_text("No knowledge bases yet")).to_be_visible()
