"""Notion: create and update pages, query databases, append blocks (Notion API, version 2025-09-03).

httpx through `ActionCall.request` rather than `notion-client`: the SDK accepts our guarded httpx client,
but it sends through `client.send` itself, so its requests would skip `ActionCall.request` — no previews in
test runs, no refresh on 401, no provider messages in step errors, no response size limit.

Since 2025-09-03 a database holds one or more data sources, and pages belong to a data source. Actions take
a database id (or its link) and find its data source; a database with several asks for `data_source_id`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

import httpx
from pydantic import Field, model_validator

from agentflow.integrations.base import Action, ActionCall, Field_, IntegrationTool, OAuthApp, Params, Result
from agentflow.integrations.providers._notion_content import (
    MAX_BLOCKS_PER_REQUEST,
    MAX_TEXT,
    NotionId,
    batches,
    page_summary,
    rich_text,
    text_blocks,
)
from agentflow.nodes.errors import PermanentStepError

NOTION_VERSION = "2025-09-03"
PROPERTIES: Any = Field(
    default_factory=dict,
    description="Notion property values by property name, in Notion's format, e.g. "
    '{"Status": {"status": {"name": "Done"}}, "Due": {"date": {"start": "2026-01-31"}}}.',
    max_length=100,
)
CONTENT = Field(
    None,
    description="Page text. Blank lines separate paragraphs; `# `, `## `, `### ` start headings, `- ` "
    "bullets, `1. ` numbered items, `- [ ] ` to-dos, `> ` quotes.",
    max_length=200_000,
)
CHILDREN: Any = Field(
    default_factory=list, description="Notion block objects, added after the content.", max_length=100
)


async def read(call: ActionCall, method: str, path: str, **kwargs: Any) -> Any:
    """A request that only reads though it is a POST (Notion's query): it runs in test runs too."""
    reader = replace(call, preview=False) if call.preview else call
    return await reader.request(method, path, **kwargs)


async def data_source_of(call: ActionCall, database_id: str | None, data_source_id: str | None) -> str:
    if data_source_id:
        return data_source_id
    assert database_id is not None
    database = await call.request("GET", f"v1/databases/{database_id}")
    sources = database.get("data_sources") or []
    if len(sources) == 1:
        return str(sources[0]["id"])
    if not sources:
        raise PermanentStepError(f"Notion database {database_id} has no data source", code="invalid_params")
    names = ", ".join(f"{s.get('name')} ({s['id']})" for s in sources)
    raise PermanentStepError(
        f"Notion database {database_id} has several data sources; choose one as data_source_id: {names}",
        code="invalid_params",
    )


async def title_property(
    call: ActionCall, *, data_source_id: str | None = None, page_id: str | None = None
) -> str:
    """The name of the title property (`Name`, `Task`, …; `title` on plain pages)."""
    if data_source_id is None and page_id is None:
        return "title"
    path = f"v1/data_sources/{data_source_id}" if data_source_id else f"v1/pages/{page_id}"
    properties = (await call.request("GET", path)).get("properties") or {}
    return next((name for name, prop in properties.items() if prop.get("type") == "title"), "title")


class _OneParent(Params):
    database_id: NotionId | None = Field(None, description="A database's id or link.")
    data_source_id: NotionId | None = Field(None, description="A data source's id (databases with several).")


class CreatePageParams(_OneParent):
    parent_page_id: NotionId | None = Field(
        None, description="Create the page inside this page (id or link)."
    )
    title: str | None = Field(None, description="The page title.", max_length=MAX_TEXT)
    properties: dict[str, Any] = PROPERTIES
    content: str | None = CONTENT
    children: list[dict[str, Any]] = CHILDREN
    icon_emoji: str | None = Field(None, description="An emoji as the page icon.", max_length=10)

    @model_validator(mode="after")
    def _one_parent(self) -> CreatePageParams:
        given = [p for p in (self.parent_page_id, self.database_id, self.data_source_id) if p]
        if len(given) != 1:
            raise ValueError("give exactly one of parent_page_id, database_id, data_source_id")
        return self


class PageResult(Result):
    id: str
    url: str | None = None
    title: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict, description="Property values as plain values.")
    last_edited_time: str | None = None


def _page_result(page: Mapping[str, Any]) -> PageResult:
    summary = page_summary(page)
    return PageResult(
        id=summary["id"],
        url=summary["url"],
        title=summary["title"],
        properties=summary["properties"],
        last_edited_time=summary["last_edited_time"],
    )


async def create_page(call: ActionCall, params: CreatePageParams) -> PageResult:
    properties = dict(params.properties)
    if params.parent_page_id:
        parent = {"type": "page_id", "page_id": params.parent_page_id}
        title_name = "title"
    else:
        source = await data_source_of(call, params.database_id, params.data_source_id)
        parent = {"type": "data_source_id", "data_source_id": source}
        title_name = await title_property(call, data_source_id=source) if params.title else ""
    if params.title:
        properties[title_name] = {"title": rich_text(params.title)}
    blocks = text_blocks(params.content or "") + params.children
    body: dict[str, Any] = {"parent": parent, "properties": properties}
    if blocks:
        body["children"] = blocks[:MAX_BLOCKS_PER_REQUEST]
    if params.icon_emoji:
        body["icon"] = {"type": "emoji", "emoji": params.icon_emoji}
    page = await call.request("POST", "v1/pages", json=body)
    for batch in batches(blocks[MAX_BLOCKS_PER_REQUEST:]):  # Notion takes 100 blocks per request
        await call.request("PATCH", f"v1/blocks/{page['id']}/children", json={"children": batch})
    return _page_result(page)


class UpdatePageParams(Params):
    page_id: NotionId = Field(description="The page's id or link.")
    title: str | None = Field(None, description="A new title.", max_length=MAX_TEXT)
    properties: dict[str, Any] = PROPERTIES
    in_trash: bool | None = Field(None, description="True moves the page to the trash; false restores it.")
    icon_emoji: str | None = Field(None, description="An emoji as the page icon.", max_length=10)

    @model_validator(mode="after")
    def _something(self) -> UpdatePageParams:
        if not (self.title or self.properties or self.in_trash is not None or self.icon_emoji):
            raise ValueError("nothing to update: give title, properties, in_trash or icon_emoji")
        return self


async def update_page(call: ActionCall, params: UpdatePageParams) -> PageResult:
    properties = dict(params.properties)
    if params.title:
        properties[await title_property(call, page_id=params.page_id)] = {"title": rich_text(params.title)}
    body: dict[str, Any] = {}
    if properties:
        body["properties"] = properties
    if params.in_trash is not None:
        body["in_trash"] = params.in_trash
    if params.icon_emoji:
        body["icon"] = {"type": "emoji", "emoji": params.icon_emoji}
    return _page_result(await call.request("PATCH", f"v1/pages/{params.page_id}", json=body))


class QueryDatabaseParams(_OneParent):
    filter: dict[str, Any] | None = Field(
        None,
        description='A Notion filter, e.g. {"property": "Status", "status": {"equals": "Done"}}, or '
        '{"and": [...]} / {"or": [...]} of such.',
    )
    sorts: list[dict[str, Any]] = Field(
        default_factory=list,
        description='Sort criteria, e.g. [{"property": "Due", "direction": "ascending"}].',
        max_length=10,
    )
    page_size: int = Field(25, ge=1, le=100, description="At most this many pages.")
    start_cursor: str | None = Field(None, description="`next_cursor` of a previous call.", max_length=200)

    @model_validator(mode="after")
    def _one_source(self) -> QueryDatabaseParams:
        if bool(self.database_id) == bool(self.data_source_id):
            raise ValueError("give exactly one of database_id, data_source_id")
        return self


class QueryResult(Result):
    results: list[dict[str, Any]] = Field(
        description="Pages: id, url, title, properties (plain values), created_time, last_edited_time."
    )
    has_more: bool
    next_cursor: str | None = None


async def query_database(call: ActionCall, params: QueryDatabaseParams) -> QueryResult:
    source = await data_source_of(call, params.database_id, params.data_source_id)
    body: dict[str, Any] = {"page_size": params.page_size}
    if params.filter:
        body["filter"] = params.filter
    if params.sorts:
        body["sorts"] = params.sorts
    if params.start_cursor:
        body["start_cursor"] = params.start_cursor
    answer = await read(call, "POST", f"v1/data_sources/{source}/query", json=body)
    return QueryResult(
        results=[page_summary(page) for page in answer.get("results", [])],
        has_more=bool(answer.get("has_more")),
        next_cursor=answer.get("next_cursor"),
    )


class AppendBlocksParams(Params):
    block_id: NotionId = Field(description="The page (or block) to add to: its id or link.")
    content: str | None = CONTENT
    children: list[dict[str, Any]] = CHILDREN

    @model_validator(mode="after")
    def _something(self) -> AppendBlocksParams:
        if not (self.content or self.children):
            raise ValueError("give content or children")
        return self


class AppendBlocksResult(Result):
    block_ids: list[str] = Field(description="Ids of the blocks added, in order.")


async def append_blocks(call: ActionCall, params: AppendBlocksParams) -> AppendBlocksResult:
    blocks = text_blocks(params.content or "") + params.children
    added: list[str] = []
    for batch in batches(blocks):
        answer = await call.request(
            "PATCH", f"v1/blocks/{params.block_id}/children", json={"children": batch}
        )
        added.extend(block["id"] for block in answer.get("results", []))
    return AppendBlocksResult(block_ids=added)


class NotionTool(IntegrationTool):
    name = "notion"
    label = "Notion"
    description = "Create and update pages, query databases and add content in a Notion workspace."
    category = "productivity"
    auth_kinds = ("oauth2", "token")
    # Notion has no OAuth scopes: what the connection may do are the capabilities set on the integration,
    # and which pages it sees is chosen by the person connecting.
    oauth = OAuthApp(
        authorize_url="https://api.notion.com/v1/oauth/authorize",
        token_url="https://api.notion.com/v1/oauth/token",  # noqa: S106 - a URL, not a secret
        revoke_url="https://api.notion.com/v1/oauth/revoke",
        pkce=False,
        authorize_params={"owner": "user"},
        token_endpoint_auth="client_secret_basic",  # noqa: S106 - a method name, not a secret
    )
    api_base = "https://api.notion.com"
    credential_fields = (
        Field_(
            "token",
            "Internal integration secret",
            description="From notion.so/profile/integrations (ntn_…); share the pages it should use with it.",
        ),
    )
    actions: ClassVar[tuple[Action, ...]] = (
        Action(
            "create_page", "Create a page in a page or a database.", CreatePageParams, create_page, PageResult
        ),
        Action(
            "update_page",
            "Change a page's title, properties or icon, or trash it.",
            UpdatePageParams,
            update_page,
            PageResult,
        ),
        Action(
            "query_database",
            "Find pages of a database, filtered and sorted.",
            QueryDatabaseParams,
            query_database,
            QueryResult,
            side_effect=False,
        ),
        Action(
            "append_blocks",
            "Add text or blocks at the end of a page.",
            AppendBlocksParams,
            append_blocks,
            AppendBlocksResult,
        ),
    )

    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        return super().auth_headers(credentials) | {"Notion-Version": NOTION_VERSION}

    def connection_config(self, token_response: Mapping[str, Any]) -> dict[str, Any]:
        keep = ("workspace_id", "workspace_name", "bot_id")
        return {key: token_response[key] for key in keep if token_response.get(key)}

    def error_message(self, response: httpx.Response, body: Any) -> str | None:
        if isinstance(body, Mapping) and body.get("object") == "error" and body.get("message"):
            return f"{body['message']} ({body.get('code')})" if body.get("code") else str(body["message"])
        return super().error_message(response, body)

    def is_transient(self, response: httpx.Response, body: Any) -> bool:
        # Notion's 409 `conflict_error` is a concurrent edit of the same data: trying again succeeds.
        return response.status_code == 409

    async def test(self, call: ActionCall) -> dict[str, Any]:
        me = await call.request("GET", "v1/users/me")
        bot = me.get("bot") or {}
        return {"bot_id": me.get("id"), "name": me.get("name"), "workspace_name": bot.get("workspace_name")}

    async def revoke(self, call: ActionCall) -> bool:
        """Notion's revoke endpoint authenticates the OAuth app itself; internal integration secrets are
        revoked in Notion's settings, so only OAuth connections (with the app's credentials) revoke here."""
        token = call.credentials.get("access_token")
        # The OAuth app's id and secret come with the call when the connection is being deleted.
        client_id = call.credentials.get("oauth.client_id")
        client_secret = call.credentials.get("oauth.client_secret")
        app = call.oauth_app
        if not (token and client_id and client_secret and app and app.revoke_url):
            return False
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        await call.request(
            "POST",
            app.revoke_url,
            json={"token": token},
            headers={"Authorization": f"Basic {basic}", "Notion-Version": NOTION_VERSION},
            auth=False,
        )
        return True


TOOL = NotionTool()
