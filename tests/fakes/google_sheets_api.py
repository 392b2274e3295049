"""A loopback Google Sheets API v4 (https://sheets.googleapis.com/v4/spreadsheets/…) and Google's tokeninfo:
spreadsheets kept as grids, A1 ranges parsed as Sheets does (quoted tab names, open-ended columns), the
`values`, `:append`, `:batchUpdate` and create endpoints with Sheets' answers and errors."""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.gmail_api import google_error, google_unauthorized
from tests.fakes.rest_fake import Refused, RestFake

ACCESS_TOKEN = "ya29.fake-sheets-token"
SPREADSHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
SCOPE = "https://www.googleapis.com/auth/spreadsheets"
_CELL = re.compile(r"^([A-Z]*)(\d*)$")


def _invalid(message: str) -> Refused:
    return Refused(400, google_error(400, message, "INVALID_ARGUMENT", "badRequest"))


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


class SheetsAPI(RestFake):
    def __init__(self) -> None:
        super().__init__(ACCESS_TOKEN)
        self.granted = SCOPE
        self._ids = itertools.count(1)
        self.books: dict[str, dict[str, Any]] = {}
        self.seed()
        base = "/v4/spreadsheets"
        self.route(base, ["POST"], self.create)
        self.route(f"{base}/{{book}}:batchUpdate", ["POST"], self.batch_update)
        self.route(f"{base}/{{book}}/values/{{range:path}}", ["GET", "PUT", "POST"], self.values)
        self.route("/tokeninfo", ["GET"], self.tokeninfo, auth=False)

    def seed(self) -> None:
        self.granted = SCOPE
        self.books = {
            SPREADSHEET: {
                "title": "Leads",
                "tabs": {
                    "Leads": {
                        "sheetId": 0,
                        "grid": [
                            ["Name", "Email", "Score"],
                            ["Ada", "ada@example.com", 91],
                            ["Linus", "linus@example.com", 78],
                        ],
                    },
                    "Q3 numbers": {"sheetId": 7, "grid": []},
                },
            }
        }

    def reset(self) -> None:
        super().reset()
        self.seed()

    def unauthorized(self) -> Response:
        return google_unauthorized()

    def grid(self, tab: str, book: str = SPREADSHEET) -> list[list[Any]]:
        return self.books[book]["tabs"][tab]["grid"]  # type: ignore[no-any-return]

    # --- A1 notation --------------------------------------------------------------------------------------
    def parse(self, book: dict[str, Any], a1: str) -> tuple[str, int, int, int | None, int | None]:
        """Tab, first row, first column, last row, last column (None: open-ended); 0-based."""
        tab, bang, cells = a1.rpartition("!")
        if not bang:
            tab, cells = (a1, "") if a1.strip("'").replace("''", "'") in book["tabs"] else ("", a1)
        tab = tab[1:-1].replace("''", "'") if tab.startswith("'") and tab.endswith("'") else tab
        tab = tab or next(iter(book["tabs"]))
        if tab not in book["tabs"]:
            raise _invalid(f"Unable to parse range: {a1}")
        if not cells:
            return tab, 0, 0, None, None
        first, _, last = cells.partition(":")
        start, end = _CELL.match(first), _CELL.match(last or first)
        if not start or not end or not (start.group(1) or start.group(2)):
            raise _invalid(f"Unable to parse range: {a1}")
        row0 = int(start.group(2)) - 1 if start.group(2) else 0
        col0 = _column(start.group(1)) if start.group(1) else 0
        if not last:  # one cell: where writing starts (reads get that cell, writes may spill over)
            return tab, row0, col0, None, None
        row1 = int(end.group(2)) - 1 if end.group(2) else None
        col1 = _column(end.group(1)) if end.group(1) else None
        return tab, row0, col0, row1, col1

    @staticmethod
    def a1(tab: str, row0: int, col0: int, row1: int, col1: int) -> str:
        name = f"'{tab}'" if not tab.isalnum() else tab
        start, end = f"{_letters(col0)}{row0 + 1}", f"{_letters(col1)}{row1 + 1}"
        return f"{name}!{start}" if start == end else f"{name}!{start}:{end}"  # Sheets names one cell alone

    # --- endpoints ------------------------------------------------------------------------------------------
    def _book(self, request: Request) -> dict[str, Any]:
        book = self.books.get(request.path_params["book"])
        if book is None:
            raise Refused(404, google_error(404, "Requested entity was not found.", "NOT_FOUND", "notFound"))
        return book

    async def values(self, request: Request, body: Any) -> Response:
        book = self._book(request)
        a1 = unquote(request.path_params["range"])
        if request.method == "POST":
            if not a1.endswith(":append"):
                raise Refused(404, google_error(404, "Method not found.", "NOT_FOUND", "notFound"))
            return self._append(book, a1.removesuffix(":append"), request, body)
        tab, row0, col0, row1, col1 = self.parse(book, a1)
        grid = book["tabs"][tab]["grid"]
        if request.method == "GET":
            if ":" not in a1.rpartition("!")[2] and row1 is None and a1.rpartition("!")[2][-1:].isdigit():
                row1, col1 = row0, col0  # one cell reads as just that cell
            return self._read(
                tab, grid, row0, col0, row1, col1, request.query_params.get("valueRenderOption")
            )
        option = request.query_params.get("valueInputOption")
        if option not in ("RAW", "USER_ENTERED"):
            raise _invalid("'valueInputOption' is required but not specified")
        rows = (body or {}).get("values")
        if not isinstance(rows, list):
            raise _invalid('Invalid JSON payload received. Unknown name "values"')
        if row1 is not None and row0 + len(rows) - 1 > row1:
            raise _invalid(
                f"Requested writing within range [{a1}], but tried writing to row [{row0 + len(rows)}]"
            )
        width = self._write(grid, row0, col0, rows, option)
        return JSONResponse(
            {
                "spreadsheetId": request.path_params["book"],
                "updatedRange": self.a1(tab, row0, col0, row0 + len(rows) - 1, col0 + width - 1),
                "updatedRows": len(rows),
                "updatedColumns": width,
                "updatedCells": sum(len(r) for r in rows),
            }
        )

    def _read(
        self,
        tab: str,
        grid: list[list[Any]],
        row0: int,
        col0: int,
        row1: int | None,
        col1: int | None,
        render: str | None,
    ) -> Response:
        rows = [
            row[col0 : None if col1 is None else col1 + 1]
            for row in grid[row0 : None if row1 is None else row1 + 1]
        ]
        if render in (None, "FORMATTED_VALUE"):
            rows = [
                [("TRUE" if v else "FALSE") if isinstance(v, bool) else str(v) for v in row] for row in rows
            ]
        while rows and not rows[-1]:
            rows.pop()
        end_row = row1 if row1 is not None else max(row0 + len(rows) - 1, row0)
        end_col = col1 if col1 is not None else max(col0 + max((len(r) for r in rows), default=1) - 1, col0)
        answer: dict[str, Any] = {
            "range": self.a1(tab, row0, col0, end_row, end_col),
            "majorDimension": "ROWS",
        }
        if rows:
            answer["values"] = rows
        return JSONResponse(answer)

    @staticmethod
    def _write(grid: list[list[Any]], row0: int, col0: int, rows: list[list[Any]], option: str) -> int:
        for offset, row in enumerate(rows):
            while len(grid) <= row0 + offset:
                grid.append([])
            target = grid[row0 + offset]
            while len(target) < col0 + len(row):
                target.append("")
            for i, value in enumerate(row):
                if (
                    option == "USER_ENTERED"
                    and isinstance(value, str)
                    and re.fullmatch(r"-?\d+(\.\d+)?", value)
                ):
                    value = float(value) if "." in value else int(value)
                target[col0 + i] = "" if value is None else value
        return max((len(r) for r in rows), default=0)

    def _append(self, book: dict[str, Any], a1: str, request: Request, body: Any) -> Response:
        option = request.query_params.get("valueInputOption")
        if option not in ("RAW", "USER_ENTERED"):
            raise _invalid("'valueInputOption' is required but not specified")
        tab, _, col0, _, _ = self.parse(book, a1)
        grid = book["tabs"][tab]["grid"]
        rows = (body or {}).get("values")
        if not isinstance(rows, list) or not rows:
            raise _invalid("Invalid values[0]: must not be empty")
        first_free = len(grid)
        table = self.a1(
            tab, 0, col0, max(first_free - 1, 0), col0 + max((len(r) for r in grid), default=1) - 1
        )
        width = self._write(grid, first_free, col0, rows, option)
        updated = self.a1(tab, first_free, col0, first_free + len(rows) - 1, col0 + width - 1)
        return JSONResponse(
            {
                "spreadsheetId": request.path_params["book"],
                "tableRange": table,
                "updates": {
                    "spreadsheetId": request.path_params["book"],
                    "updatedRange": updated,
                    "updatedRows": len(rows),
                    "updatedColumns": width,
                    "updatedCells": sum(len(r) for r in rows),
                },
            }
        )

    async def create(self, request: Request, body: Any) -> Response:
        title = ((body or {}).get("properties") or {}).get("title") or "Untitled spreadsheet"
        book_id = f"1NewSheet{next(self._ids):035d}"
        self.books[book_id] = {"title": title, "tabs": {"Sheet1": {"sheetId": 0, "grid": []}}}
        return JSONResponse(
            {
                "spreadsheetId": book_id,
                "properties": {"title": title, "locale": "en_US"},
                "sheets": [
                    {"properties": {"sheetId": 0, "title": "Sheet1", "index": 0, "sheetType": "GRID"}}
                ],
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book_id}/edit",
            }
        )

    async def batch_update(self, request: Request, body: Any) -> Response:
        book = self._book(request)
        replies = []
        for i, item in enumerate((body or {}).get("requests") or []):
            title = ((item.get("addSheet") or {}).get("properties") or {}).get("title")
            if not title:
                raise _invalid(f"Invalid requests[{i}]: No request set.")
            if title in book["tabs"]:
                raise _invalid(
                    f'Invalid requests[{i}].addSheet: A sheet with the name "{title}" already exists. '
                    "Please enter another name."
                )
            sheet_id = 1000 + len(book["tabs"])
            book["tabs"][title] = {"sheetId": sheet_id, "grid": []}
            replies.append(
                {
                    "addSheet": {
                        "properties": {"sheetId": sheet_id, "title": title, "index": len(book["tabs"]) - 1}
                    }
                }
            )
        return JSONResponse({"spreadsheetId": request.path_params["book"], "replies": replies})

    async def tokeninfo(self, request: Request, body: Any) -> Response:
        if request.query_params.get("access_token") != ACCESS_TOKEN:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "Invalid Value"}, status_code=400
            )
        return JSONResponse(
            {
                "azp": "client.apps.googleusercontent.com",
                "scope": self.granted,
                "expires_in": "3599",
                "access_type": "offline",
            }
        )
