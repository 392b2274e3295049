"""A loopback Notion API (https://api.notion.com/v1/…, version 2025-09-03): databases with data sources,
pages with typed properties checked against the data source's schema, block children (100 per request),
queries with equality filters, sorts and cursors; Notion's error objects (`validation_error`,
`object_not_found`, `unauthorized`, `missing_version`) and its OAuth revoke endpoint."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.rest_fake import Handler, Refused, RestFake

TOKEN = "ntn_fake_internal_secret"
CLIENT = ("notion-client-id", "notion-client-secret")
VERSION = "2025-09-03"
SHARE_HINT = ". Make sure the relevant pages and databases are shared with your integration."
DATABASE = "0f4c7e2a-9d5b-4c1e-8a3f-2b6d9e1c7a40"
SOURCE = "5c1d2e3f-4a5b-4c6d-8e7f-901234567890"
MULTI_DATABASE = "7a7a7a7a-1111-4222-8333-444455556666"
PAGE = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
SCHEMA: dict[str, dict[str, Any]] = {
    "Task": {"id": "title", "name": "Task", "type": "title", "title": {}},
    "Status": {"id": "st", "name": "Status", "type": "status", "status": {}},
    "Due": {"id": "du", "name": "Due", "type": "date", "date": {}},
    "Points": {"id": "pt", "name": "Points", "type": "number", "number": {}},
    "Tags": {"id": "tg", "name": "Tags", "type": "multi_select", "multi_select": {}},
}


def error(status: int, code: str, message: str) -> Refused:
    return Refused(status, {"object": "error", "status": status, "code": code, "message": message})


def _with_plain(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, "plain_text": (p.get("text") or {}).get("content", "")} for p in parts]


class NotionAPI(RestFake):
    def __init__(self) -> None:
        super().__init__(TOKEN)
        self.pages: dict[str, dict[str, Any]] = {}
        self.blocks: dict[str, list[dict[str, Any]]] = {}
        self.revoked: list[str] = []
        self.seed()
        for path, methods, handler, auth in (
            ("/v1/users/me", ["GET"], self.me, True),
            ("/v1/databases/{id}", ["GET"], self.database, True),
            ("/v1/data_sources/{id}", ["GET"], self.data_source, True),
            ("/v1/data_sources/{id}/query", ["POST"], self.query, True),
            ("/v1/pages", ["POST"], self.create_page, True),
            ("/v1/pages/{id}", ["GET", "PATCH"], self.page, True),
            ("/v1/blocks/{id}/children", ["PATCH"], self.append, True),
            ("/v1/oauth/revoke", ["POST"], self.revoke, False),
        ):
            self.route(path, methods, self._versioned(handler) if auth else handler, auth=auth)

    def seed(self) -> None:
        self.pages.clear()
        self.blocks.clear()
        self.revoked.clear()
        self.pages[PAGE] = self._page(
            {"type": "page_id", "page_id": str(uuid.uuid4())},
            {"title": {"title": [{"text": {"content": "Team home"}}]}},
        )
        self.pages[PAGE]["id"] = PAGE
        self.blocks[PAGE] = []
        for task, status, points in (
            ("Write docs", "In progress", 3),
            ("Ship", "Done", 5),
            ("Plan", "Done", 1),
        ):
            page = self._page(
                {"type": "data_source_id", "data_source_id": SOURCE},
                {
                    "Task": {"title": [{"text": {"content": task}}]},
                    "Status": {"status": {"name": status}},
                    "Points": {"number": points},
                },
            )
            self.pages[page["id"]] = page

    def reset(self) -> None:
        super().reset()
        self.seed()

    def unauthorized(self) -> Response:
        return JSONResponse(
            {"object": "error", "status": 401, "code": "unauthorized", "message": "API token is invalid."},
            status_code=401,
        )

    def _versioned(self, handler: Handler) -> Handler:
        async def checked(request: Request, body: Any) -> Response:
            version = request.headers.get("notion-version")
            if version != VERSION:
                raise error(
                    400,
                    "missing_version",
                    "Notion-Version header failed validation: should be a supported version, "
                    f"instead was `{version}`.",
                )
            return await handler(request, body)

        return checked

    # --- the model ------------------------------------------------------------------------------------------
    def _typed(self, parent: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
        schema = (
            SCHEMA if parent.get("type") == "data_source_id" else {"title": {"id": "title", "type": "title"}}
        )
        typed = {}
        for name, value in properties.items():
            if name not in schema:
                raise error(400, "validation_error", f"{name} is not a property that exists.")
            kind = schema[name]["type"]
            if not isinstance(value, dict) or kind not in value:
                raise error(
                    400,
                    "validation_error",
                    f"body failed validation: body.properties.{name}.{kind} should be defined.",
                )
            inner = value[kind]
            typed[name] = {
                "id": schema[name]["id"],
                "type": kind,
                kind: _with_plain(inner) if kind == "title" else inner,
            }
        return typed

    def _page(self, parent: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
        page_id = str(uuid.uuid4())
        return {
            "object": "page",
            "id": page_id,
            "created_time": "2026-12-01T09:00:00.000Z",
            "last_edited_time": "2026-12-01T09:00:00.000Z",
            "in_trash": False,
            "parent": parent,
            "icon": None,
            "properties": self._typed(parent, properties),
            "url": f"https://www.notion.so/{page_id.replace('-', '')}",
        }

    def _children(self, body: Any) -> list[dict[str, Any]]:
        children = (body or {}).get("children", [])
        if len(children) > 100:
            raise error(
                400,
                "validation_error",
                "body failed validation: body.children.length should be ≤ `100`, "
                f"instead was `{len(children)}`.",
            )
        for i, block in enumerate(children):
            kind = block.get("type")
            if not kind or kind not in block:
                raise error(
                    400,
                    "validation_error",
                    f"body failed validation: body.children[{i}].{kind} should be defined.",
                )
        return [{**block, "id": str(uuid.uuid4()), "object": "block"} for block in children]

    # --- endpoints ------------------------------------------------------------------------------------------
    async def me(self, request: Request, body: Any) -> Response:
        return JSONResponse(
            {
                "object": "user",
                "id": "bot-1",
                "name": "AgentFlow",
                "type": "bot",
                "bot": {"owner": {"type": "workspace", "workspace": True}, "workspace_name": "Acme"},
            }
        )

    async def database(self, request: Request, body: Any) -> Response:
        db = request.path_params["id"]
        if db == DATABASE:
            sources = [{"id": SOURCE, "name": "Tasks"}]
        elif db == MULTI_DATABASE:
            sources = [{"id": SOURCE, "name": "Tasks"}, {"id": str(uuid.UUID(int=7)), "name": "Bugs"}]
        else:
            raise error(
                404,
                "object_not_found",
                f"Could not find database with ID: {db}{SHARE_HINT}",
            )
        return JSONResponse(
            {"object": "database", "id": db, "title": [{"plain_text": "Tasks"}], "data_sources": sources}
        )

    async def data_source(self, request: Request, body: Any) -> Response:
        if request.path_params["id"] != SOURCE:
            raise error(
                404, "object_not_found", f"Could not find data_source with ID: {request.path_params['id']}."
            )
        return JSONResponse({"object": "data_source", "id": SOURCE, "properties": SCHEMA})

    async def query(self, request: Request, body: Any) -> Response:
        if request.path_params["id"] != SOURCE:
            raise error(
                404, "object_not_found", f"Could not find data_source with ID: {request.path_params['id']}."
            )
        body = body or {}
        size = body.get("page_size", 100)
        if not isinstance(size, int) or not 1 <= size <= 100:
            raise error(400, "validation_error", "body failed validation: body.page_size should be ≤ `100`.")
        rows = [
            p
            for p in self.pages.values()
            if p["parent"].get("data_source_id") == SOURCE and not p["in_trash"]
        ]
        wanted = body.get("filter")
        if wanted:
            rows = [p for p in rows if self._matches(p, wanted)]
        for sort in reversed(body.get("sorts") or []):
            name = str(sort["property"])

            def by(page: dict[str, Any], name: str = name) -> str:
                return str(self._value(page, name))

            rows.sort(key=by, reverse=sort.get("direction") == "descending")
        start = int(body.get("start_cursor") or 0)
        page = rows[start : start + size]
        more = start + size < len(rows)
        return JSONResponse(
            {
                "object": "list",
                "results": page,
                "has_more": more,
                "next_cursor": str(start + size) if more else None,
                "type": "page_or_data_source",
            }
        )

    @staticmethod
    def _value(page: dict[str, Any], name: str) -> Any:
        prop = page["properties"].get(name) or {}
        inner = prop.get(prop.get("type"))
        if prop.get("type") in ("status", "select"):
            return (inner or {}).get("name")
        if prop.get("type") == "title":
            return "".join(p["plain_text"] for p in inner or [])
        return inner

    def _matches(self, page: dict[str, Any], wanted: dict[str, Any]) -> bool:
        if "and" in wanted:
            return all(self._matches(page, w) for w in wanted["and"])
        if "or" in wanted:
            return any(self._matches(page, w) for w in wanted["or"])
        name = str(wanted.get("property"))
        if name not in SCHEMA:
            raise error(400, "validation_error", f"Could not find property with name or id: {name}")
        kind = SCHEMA[name]["type"]
        condition = wanted.get(kind)
        if not isinstance(condition, dict) or "equals" not in condition:
            raise error(
                400, "validation_error", f"body failed validation: body.filter.{kind} should be defined."
            )
        return bool(self._value(page, name) == condition["equals"])

    async def create_page(self, request: Request, body: Any) -> Response:
        body = body or {}
        parent = body.get("parent") or {}
        if parent.get("type") == "data_source_id":
            if parent.get("data_source_id") != SOURCE:
                raise error(
                    404,
                    "object_not_found",
                    f"Could not find data_source with ID: {parent.get('data_source_id')}.",
                )
        elif parent.get("type") == "page_id":
            if parent.get("page_id") not in self.pages:
                raise error(404, "object_not_found", f"Could not find page with ID: {parent.get('page_id')}.")
        else:
            raise error(400, "validation_error", "body failed validation: body.parent should be defined.")
        children = self._children(body)
        page = self._page(parent, body.get("properties") or {})
        page["icon"] = body.get("icon")
        self.pages[page["id"]] = page
        self.blocks[page["id"]] = children
        return JSONResponse(page)

    async def page(self, request: Request, body: Any) -> Response:
        page = self.pages.get(request.path_params["id"])
        if page is None:
            raise error(404, "object_not_found", f"Could not find page with ID: {request.path_params['id']}.")
        if request.method == "PATCH":
            body = body or {}
            page["properties"] |= self._typed(page["parent"], body.get("properties") or {})
            if "in_trash" in body:
                page["in_trash"] = bool(body["in_trash"])
            if body.get("icon"):
                page["icon"] = body["icon"]
            page["last_edited_time"] = "2026-12-02T10:00:00.000Z"
        return JSONResponse(page)

    async def append(self, request: Request, body: Any) -> Response:
        target = request.path_params["id"]
        if target not in self.blocks:
            raise error(
                404,
                "object_not_found",
                f"Could not find block with ID: {target}{SHARE_HINT}",
            )
        if not isinstance((body or {}).get("children"), list):
            raise error(
                400,
                "validation_error",
                "body failed validation: body.children should be defined, instead was `undefined`.",
            )
        added = self._children(body)
        self.blocks[target].extend(added)
        return JSONResponse({"object": "list", "results": added, "has_more": False, "next_cursor": None})

    async def revoke(self, request: Request, body: Any) -> Response:
        expected = "Basic " + base64.b64encode(":".join(CLIENT).encode()).decode()
        if request.headers.get("authorization") != expected:
            raise error(401, "unauthorized", "Invalid client credentials.")
        if not isinstance(body, dict) or not body.get("token"):
            raise error(400, "validation_error", "body failed validation: body.token should be defined.")
        self.revoked.append(body["token"])
        return JSONResponse({"request_id": str(uuid.uuid4())})
