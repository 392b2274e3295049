"""The Google Sheets connector against a loopback Sheets API: A1 ranges in the path, value input options,
append below the table, new spreadsheets and tabs with headers, Google's errors, previews, params bounds and
the connection test through tokeninfo."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from agentflow.integrations import registry
from agentflow.integrations.base import ActionCall, Previewed
from agentflow.integrations.providers.google_sheets import TOOL
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.fakes.google_sheets_api import ACCESS_TOKEN, SPREADSHEET, SheetsAPI
from tests.fakes.loopback import Reply
from tests.fakes.rest_fake import action_call

GOOGLE = TOOL.oauth
assert GOOGLE is not None


@pytest.fixture(scope="module")
def server() -> Iterator[SheetsAPI]:
    fake = SheetsAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def sheets(server: SheetsAPI) -> SheetsAPI:
    server.reset()
    return server


@pytest.fixture
def call(sheets: SheetsAPI, http: httpx.AsyncClient) -> ActionCall:
    return action_call(TOOL, sheets, http)


async def run(call: ActionCall, action: str, params: dict[str, Any]) -> Any:
    found = call.tool.action(action)
    assert found is not None
    return await found.run(call, found.params.model_validate(params))


def test_registered() -> None:
    assert registry.get("google_sheets") is TOOL
    assert {a.name for a in TOOL.actions if not a.side_effect} == {"read_range"}
    assert TOOL.scopes == ("https://www.googleapis.com/auth/spreadsheets",)


async def test_read_range_with_records(sheets: SheetsAPI, call: ActionCall) -> None:
    result = await run(
        call, "read_range", {"spreadsheet_id": SPREADSHEET, "range": "Leads!A1:C3", "header_row": True}
    )

    assert (sheets.last.method, sheets.last.path) == (
        "GET",
        f"/v4/spreadsheets/{SPREADSHEET}/values/Leads!A1:C3",
    )
    assert sheets.last.header("authorization") == f"Bearer {ACCESS_TOKEN}"
    assert sheets.last_query == {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
    assert result.values[1] == ["Ada", "ada@example.com", "91"]
    assert result.row_count == 3
    assert result.records == [
        {"Name": "Ada", "Email": "ada@example.com", "Score": "91"},
        {"Name": "Linus", "Email": "linus@example.com", "Score": "78"},
    ]


async def test_read_unformatted_and_an_empty_tab(call: ActionCall) -> None:
    scores = await run(
        call,
        "read_range",
        {"spreadsheet_id": SPREADSHEET, "range": "Leads!C2:C", "value_render": "UNFORMATTED_VALUE"},
    )
    assert scores.values == [[91], [78]]
    empty = await run(call, "read_range", {"spreadsheet_id": SPREADSHEET, "range": "'Q3 numbers'!A1:B2"})
    assert empty.values == []
    assert empty.row_count == 0


async def test_write_range_quotes_tab_names_in_the_path(sheets: SheetsAPI, call: ActionCall) -> None:
    result = await run(
        call,
        "write_range",
        {
            "spreadsheet_id": SPREADSHEET,
            "range": "'Q3 numbers'!B2",
            "values": [["Revenue", "1200"], ["Cost", 800, None]],
        },
    )

    assert sheets.last.method == "PUT"
    assert sheets.last.path == f"/v4/spreadsheets/{SPREADSHEET}/values/'Q3 numbers'!B2"
    assert sheets.last_query == {"valueInputOption": "USER_ENTERED"}
    assert sheets.last.body == {
        "range": "'Q3 numbers'!B2",
        "majorDimension": "ROWS",
        "values": [["Revenue", "1200"], ["Cost", 800, None]],
    }
    assert sheets.grid("Q3 numbers")[1] == ["", "Revenue", 1200]  # USER_ENTERED: "1200" became a number
    assert result.updated_range == "'Q3 numbers'!B2:D3"
    assert result.updated_cells == 5


async def test_write_raw_keeps_text(sheets: SheetsAPI, call: ActionCall) -> None:
    await run(
        call,
        "write_range",
        {"spreadsheet_id": SPREADSHEET, "range": "Leads!D1", "values": [["007"]], "value_input": "RAW"},
    )
    assert sheets.last_query == {"valueInputOption": "RAW"}
    assert sheets.grid("Leads")[0][3] == "007"


async def test_append_row_goes_below_the_table(sheets: SheetsAPI, call: ActionCall) -> None:
    result = await run(
        call,
        "append_row",
        {"spreadsheet_id": SPREADSHEET, "range": "Leads", "values": ["Grace", "grace@example.com", 99]},
    )

    assert sheets.last.method == "POST"
    assert sheets.last.path == f"/v4/spreadsheets/{SPREADSHEET}/values/Leads:append"
    assert sheets.last_query == {"valueInputOption": "USER_ENTERED", "insertDataOption": "INSERT_ROWS"}
    assert sheets.last.body == {"majorDimension": "ROWS", "values": [["Grace", "grace@example.com", 99]]}
    assert result.updated_range == "Leads!A4:C4"
    assert result.row_number == 4
    assert result.table_range == "Leads!A1:C3"
    assert sheets.grid("Leads")[3] == ["Grace", "grace@example.com", 99]


async def test_create_spreadsheet_with_headers(sheets: SheetsAPI, call: ActionCall) -> None:
    result = await run(call, "create_sheet", {"title": "Signups", "headers": ["When", "Who"]})

    create, header = sheets.requests
    assert (create.method, create.path, create.body) == (
        "POST",
        "/v4/spreadsheets",
        {"properties": {"title": "Signups"}},
    )
    assert (header.method, header.path) == (
        "PUT",
        f"/v4/spreadsheets/{result.spreadsheet_id}/values/'Sheet1'!A1",
    )
    assert sheets.queries[1] == {"valueInputOption": "RAW"}
    assert sheets.books[result.spreadsheet_id]["title"] == "Signups"
    assert sheets.grid("Sheet1", result.spreadsheet_id) == [["When", "Who"]]
    assert result.spreadsheet_url == f"https://docs.google.com/spreadsheets/d/{result.spreadsheet_id}/edit"
    assert (result.sheet_id, result.sheet_title) == (0, "Sheet1")


async def test_add_a_tab(sheets: SheetsAPI, call: ActionCall) -> None:
    result = await run(call, "create_sheet", {"title": "Archive", "spreadsheet_id": SPREADSHEET})

    assert sheets.last.path == f"/v4/spreadsheets/{SPREADSHEET}:batchUpdate"
    assert sheets.last.body == {"requests": [{"addSheet": {"properties": {"title": "Archive"}}}]}
    assert "Archive" in sheets.books[SPREADSHEET]["tabs"]
    assert result.spreadsheet_url.endswith(f"/edit#gid={result.sheet_id}")

    with pytest.raises(PermanentStepError) as taken:
        await run(call, "create_sheet", {"title": "Archive", "spreadsheet_id": SPREADSHEET})
    assert 'A sheet with the name "Archive" already exists' in taken.value.message
    assert "INVALID_ARGUMENT" in taken.value.message


async def test_google_errors_are_permanent_with_googles_message(call: ActionCall) -> None:
    with pytest.raises(PermanentStepError) as bad_range:
        await run(call, "read_range", {"spreadsheet_id": SPREADSHEET, "range": "Nope!A1"})
    assert "Unable to parse range: Nope!A1" in bad_range.value.message
    assert bad_range.value.code == "http_400"

    with pytest.raises(PermanentStepError, match="Requested entity was not found") as missing:
        await run(
            call, "append_row", {"spreadsheet_id": "1DoesNotExist00000000", "range": "A", "values": [1]}
        )
    assert missing.value.code == "http_404"

    with pytest.raises(PermanentStepError, match="tried writing to row"):
        await run(
            call, "write_range", {"spreadsheet_id": SPREADSHEET, "range": "Leads!A1:B1", "values": [[1], [2]]}
        )


async def test_rate_limits_and_outages_are_transient(sheets: SheetsAPI, call: ActionCall) -> None:
    sheets.enqueue(
        Reply(
            429,
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
            headers={"Retry-After": "7"},
        ),
        Reply(
            503,
            {
                "error": {
                    "code": 503,
                    "message": "The service is currently unavailable.",
                    "status": "UNAVAILABLE",
                }
            },
        ),
    )
    params = {"spreadsheet_id": SPREADSHEET, "range": "Leads"}
    with pytest.raises(TransientStepError) as limited:
        await run(call, "read_range", params)
    assert (limited.value.code, limited.value.output["retry_after"]) == ("rate_limit", "7")
    with pytest.raises(TransientStepError) as down:
        await run(call, "read_range", params)
    assert down.value.code == "http_503"


async def test_preview_captures_writes_and_runs_reads(sheets: SheetsAPI, http: httpx.AsyncClient) -> None:
    preview = action_call(TOOL, sheets, http, preview=True)
    with pytest.raises(Previewed) as captured:
        await run(preview, "append_row", {"spreadsheet_id": SPREADSHEET, "range": "Leads", "values": ["x"]})
    assert captured.value.request["url"].endswith(f"/v4/spreadsheets/{SPREADSHEET}/values/Leads:append")
    assert captured.value.request["query"]["valueInputOption"] == "USER_ENTERED"
    assert sheets.requests == []
    assert len(sheets.grid("Leads")) == 3
    read = await run(preview, "read_range", {"spreadsheet_id": SPREADSHEET, "range": "Leads!A1:A2"})
    assert read.values == [["Name"], ["Ada"]]


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("read_range", {"spreadsheet_id": "../../etc", "range": "A1"}),
        ("read_range", {"spreadsheet_id": SPREADSHEET, "range": ""}),
        ("write_range", {"spreadsheet_id": SPREADSHEET, "range": "A1", "values": []}),
        ("write_range", {"spreadsheet_id": SPREADSHEET, "range": "A1", "values": [[{"nested": 1}]]}),
        (
            "write_range",
            {"spreadsheet_id": SPREADSHEET, "range": "A1", "values": [[1]], "value_input": "FORMULA"},
        ),
        ("append_row", {"spreadsheet_id": SPREADSHEET, "range": "A", "values": list(range(501))}),
        ("create_sheet", {"title": "x" * 101}),
    ],
)
def test_params_refuse_bad_input(action: str, params: dict[str, Any]) -> None:
    found = TOOL.action(action)
    assert found is not None
    with pytest.raises(ValidationError):
        found.params.model_validate(params)


async def test_a_row_too_wide_is_refused_before_sending(sheets: SheetsAPI, call: ActionCall) -> None:
    with pytest.raises(PermanentStepError, match="more than 500 cells"):
        await run(
            call, "write_range", {"spreadsheet_id": SPREADSHEET, "range": "A1", "values": [list(range(501))]}
        )
    assert sheets.requests == []


async def test_connection_test_checks_the_granted_scope(sheets: SheetsAPI, http: httpx.AsyncClient) -> None:
    tool = TOOL
    google = replace(GOOGLE, token_url=f"{sheets.url}/token")
    call = action_call(tool, sheets, http, oauth=google)
    info = await tool.test(call)
    assert info["scopes"] == ["https://www.googleapis.com/auth/spreadsheets"]
    assert sheets.last.path == "/tokeninfo"
    assert sheets.last.header("authorization") is None

    sheets.granted = "https://www.googleapis.com/auth/gmail.readonly"
    with pytest.raises(PermanentStepError, match="not granted access to spreadsheets"):
        await tool.test(call)

    wrong = action_call(tool, sheets, http, credentials={"access_token": "ya29.wrong"}, oauth=google)
    with pytest.raises(PermanentStepError, match="Invalid Value") as refused:
        await tool.test(wrong)
    assert "ya29.wrong" not in refused.value.message


async def test_read_one_cell(call: ActionCall) -> None:
    cell = await run(call, "read_range", {"spreadsheet_id": SPREADSHEET, "range": "Leads!B2"})
    assert cell.values == [["ada@example.com"]]
    assert cell.range == "Leads!B2"
