"""Google Sheets: read and write ranges, append rows, create spreadsheets and tabs (Sheets API v4).

httpx through `ActionCall.request` rather than google-api-python-client, whose own HTTP stack (httplib2)
would bypass the egress guard, the previews and the error mapping. Ranges are A1 notation
(`Sheet1!A1:C10`, `'Q3 numbers'!A:D`, or a tab name for the whole tab).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urljoin

from pydantic import Field

from agentflow.integrations.base import Action, ActionCall, Params, Result
from agentflow.integrations.providers._google import GoogleTool, google_oauth
from agentflow.nodes.errors import PermanentStepError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
SPREADSHEET_ID = Field(
    description="The spreadsheet's id: the long part of its URL between /d/ and /edit.",
    pattern=r"^[A-Za-z0-9_-]{10,200}$",
)
RANGE_DESCRIPTION = "A1 notation: `Sheet1!A1:C10`, `'My tab'!A:D`, or a tab name for the whole tab."
Cell = str | int | float | bool | None
MAX_ROWS = 10_000
MAX_COLUMNS = 500
ValueInput = Literal["USER_ENTERED", "RAW"]
VALUE_INPUT = (
    "USER_ENTERED parses text as if typed into the sheet (numbers, dates, =formulas); RAW keeps text."
)
_ROW_OF = re.compile(r"[A-Z]+(\d+)(?::[A-Z]+\d+)?$")


def values_path(spreadsheet_id: str, cell_range: str) -> str:
    # `!`, `:` and `$` are how A1 notation reads; quoting everything else keeps tab names with spaces,
    # quotes or slashes inside the one path segment.
    return f"v4/spreadsheets/{spreadsheet_id}/values/{quote(cell_range, safe='!:$')}"


def quoted_tab(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


class ReadRangeParams(Params):
    spreadsheet_id: str = SPREADSHEET_ID
    range: str = Field(description=RANGE_DESCRIPTION, min_length=1, max_length=500)
    value_render: Literal["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"] = Field(
        "FORMATTED_VALUE", description="Values as shown in the sheet, raw numbers, or the formulas."
    )
    header_row: bool = Field(
        False, description="The first row holds column names: also return each other row as an object."
    )


class ReadRangeResult(Result):
    range: str
    values: list[list[Any]] = Field(description="Rows of cells; trailing empty cells and rows are left out.")
    row_count: int
    records: list[dict[str, Any]] | None = Field(None, description="With header_row: one object per row.")


async def read_range(call: ActionCall, params: ReadRangeParams) -> ReadRangeResult:
    answer = await call.request(
        "GET",
        values_path(params.spreadsheet_id, params.range),
        params={"valueRenderOption": params.value_render, "majorDimension": "ROWS"},
    )
    values = answer.get("values", [])  # Sheets leaves `values` out of an empty range
    records = None
    if params.header_row and values:
        header = [str(name) for name in values[0]]
        records = [
            {name: row[i] if i < len(row) else None for i, name in enumerate(header) if name}
            for row in values[1:]
        ]
    return ReadRangeResult(
        range=answer.get("range", params.range), values=values, row_count=len(values), records=records
    )


class WriteRangeParams(Params):
    spreadsheet_id: str = SPREADSHEET_ID
    range: str = Field(
        description=RANGE_DESCRIPTION + " Writing starts at its top-left cell.", max_length=500
    )
    values: list[list[Cell]] = Field(description="Rows of cells to write.", min_length=1, max_length=MAX_ROWS)
    value_input: ValueInput = Field("USER_ENTERED", description=VALUE_INPUT)


class WriteRangeResult(Result):
    updated_range: str
    updated_rows: int = 0
    updated_columns: int = 0
    updated_cells: int = 0


def _check_width(rows: list[list[Cell]]) -> None:
    if any(len(row) > MAX_COLUMNS for row in rows):
        raise PermanentStepError(f"A row has more than {MAX_COLUMNS} cells", code="invalid_params")


async def write_range(call: ActionCall, params: WriteRangeParams) -> WriteRangeResult:
    _check_width(params.values)
    answer = await call.request(
        "PUT",
        values_path(params.spreadsheet_id, params.range),
        params={"valueInputOption": params.value_input},
        json={"range": params.range, "majorDimension": "ROWS", "values": params.values},
    )
    return WriteRangeResult(
        updated_range=answer.get("updatedRange", params.range),
        updated_rows=answer.get("updatedRows", 0),
        updated_columns=answer.get("updatedColumns", 0),
        updated_cells=answer.get("updatedCells", 0),
    )


class AppendRowParams(Params):
    spreadsheet_id: str = SPREADSHEET_ID
    range: str = Field(
        description="The table to append to: a tab name (`Sheet1`) or its columns (`Sheet1!A:D`). The row "
        "goes below the table's last row.",
        min_length=1,
        max_length=500,
    )
    values: list[Cell] = Field(
        description="The row's cells, left to right.", min_length=1, max_length=MAX_COLUMNS
    )
    value_input: ValueInput = Field("USER_ENTERED", description=VALUE_INPUT)


class AppendRowResult(Result):
    updated_range: str = Field(description="Where the row was written, e.g. `Sheet1!A12:D12`.")
    row_number: int | None = Field(None, description="The sheet row number the values went to.")
    table_range: str | None = None
    updated_cells: int = 0


async def append_row(call: ActionCall, params: AppendRowParams) -> AppendRowResult:
    answer = await call.request(
        "POST",
        values_path(params.spreadsheet_id, params.range) + ":append",
        params={"valueInputOption": params.value_input, "insertDataOption": "INSERT_ROWS"},
        json={"majorDimension": "ROWS", "values": [params.values]},
    )
    updates = answer.get("updates") or {}
    updated_range = updates.get("updatedRange", "")
    row = _ROW_OF.search(updated_range)
    return AppendRowResult(
        updated_range=updated_range,
        row_number=int(row.group(1)) if row else None,
        table_range=answer.get("tableRange"),
        updated_cells=updates.get("updatedCells", 0),
    )


class CreateSheetParams(Params):
    title: str = Field(
        description="Without spreadsheet_id: the new spreadsheet's title. With it: the new tab's name.",
        min_length=1,
        max_length=100,
    )
    spreadsheet_id: str | None = Field(
        None,
        description="Add a tab to this spreadsheet instead of creating a spreadsheet.",
        pattern=r"^[A-Za-z0-9_-]{10,200}$",
    )
    headers: list[str] = Field(
        default_factory=list, description="Column names written to the first row.", max_length=MAX_COLUMNS
    )


class CreateSheetResult(Result):
    spreadsheet_id: str
    spreadsheet_url: str
    sheet_id: int = Field(description="The tab's numeric id (gid in its URL).")
    sheet_title: str


async def create_sheet(call: ActionCall, params: CreateSheetParams) -> CreateSheetResult:
    if params.spreadsheet_id:
        answer = await call.request(
            "POST",
            f"v4/spreadsheets/{params.spreadsheet_id}:batchUpdate",
            json={"requests": [{"addSheet": {"properties": {"title": params.title}}}]},
        )
        spreadsheet_id = params.spreadsheet_id
        url = f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"
        tab = answer["replies"][0]["addSheet"]["properties"]
    else:
        answer = await call.request("POST", "v4/spreadsheets", json={"properties": {"title": params.title}})
        spreadsheet_id, url = answer["spreadsheetId"], answer["spreadsheetUrl"]
        tab = answer["sheets"][0]["properties"]
    if params.headers:
        await call.request(
            "PUT",
            values_path(spreadsheet_id, f"{quoted_tab(tab['title'])}!A1"),
            params={"valueInputOption": "RAW"},
            json={"majorDimension": "ROWS", "values": [params.headers]},
        )
    return CreateSheetResult(
        spreadsheet_id=spreadsheet_id,
        spreadsheet_url=f"{url}#gid={tab['sheetId']}" if params.spreadsheet_id else url,
        sheet_id=tab["sheetId"],
        sheet_title=tab["title"],
    )


class GoogleSheetsTool(GoogleTool):
    name = "google_sheets"
    label = "Google Sheets"
    description = "Read, write and append rows in Google Sheets, and create spreadsheets and tabs."
    category = "productivity"
    scopes = SCOPES
    oauth = google_oauth(SCOPES)
    api_base = "https://sheets.googleapis.com"
    actions: ClassVar[tuple[Action, ...]] = (
        Action(
            "read_range",
            "Read the cells of a range (optionally as records keyed by the header row).",
            ReadRangeParams,
            read_range,
            ReadRangeResult,
            side_effect=False,
        ),
        Action(
            "write_range",
            "Write rows of cells into a range, replacing what is there.",
            WriteRangeParams,
            write_range,
            WriteRangeResult,
        ),
        Action(
            "append_row",
            "Add a row below the last row of a table.",
            AppendRowParams,
            append_row,
            AppendRowResult,
        ),
        Action(
            "create_sheet",
            "Create a spreadsheet, or add a tab to one; optionally write a header row.",
            CreateSheetParams,
            create_sheet,
            CreateSheetResult,
        ),
    )

    async def test(self, call: ActionCall) -> dict[str, Any]:
        """The Sheets API has no "who am I"; Google's tokeninfo says whether the token works and what it
        may do (tokeninfo takes the token as a query parameter, its documented form)."""
        app = call.oauth_app
        assert app is not None
        info = await call.request(
            "GET",
            urljoin(app.token_url, "/tokeninfo"),  # tokeninfo lives beside the token endpoint
            params={"access_token": call.credentials.get("access_token", "")},
            auth=False,
        )
        granted = str(info.get("scope", "")).split()
        if SCOPES[0] not in granted:
            raise PermanentStepError(
                "The connection was not granted access to spreadsheets; reconnect and allow it", code="auth"
            )
        return {"scopes": granted, "expires_in": info.get("expires_in")}


TOOL = GoogleSheetsTool()
