"""The Notion connector against a loopback Notion API (2025-09-03): pages in pages and databases (through
their data source), titles on the right property, text as blocks in batches of 100, queries as reads (also
in previews), Notion's errors, rate limits, params bounds, test and revoke."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from agentflow.integrations import registry
from agentflow.integrations.base import ActionCall, AuthExpired, Previewed
from agentflow.integrations.providers._notion_content import text_blocks
from agentflow.integrations.providers.notion import TOOL
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.fakes.loopback import Reply
from tests.fakes.notion_api import CLIENT, DATABASE, MULTI_DATABASE, PAGE, SOURCE, TOKEN, VERSION, NotionAPI
from tests.fakes.rest_fake import action_call

NOTION_OAUTH = TOOL.oauth
assert NOTION_OAUTH is not None


@pytest.fixture(scope="module")
def server() -> Iterator[NotionAPI]:
    fake = NotionAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def notion(server: NotionAPI) -> NotionAPI:
    server.reset()
    return server


@pytest.fixture
def call(notion: NotionAPI, http: httpx.AsyncClient) -> ActionCall:
    return action_call(TOOL, notion, http, credentials={"token": TOKEN})


async def run(call: ActionCall, action: str, params: dict[str, Any]) -> Any:
    found = TOOL.action(action)
    assert found is not None
    return await found.run(call, found.params.model_validate(params))


def test_registered() -> None:
    assert registry.get("notion") is TOOL
    assert {a.name for a in TOOL.actions if not a.side_effect} == {"query_database"}
    assert TOOL.oauth is not None
    assert TOOL.oauth.token_endpoint_auth == "client_secret_basic"
    assert TOOL.oauth.authorize_params == {"owner": "user"}


async def test_create_page_in_a_database_goes_to_its_data_source(notion: NotionAPI, call: ActionCall) -> None:
    link = f"https://www.notion.so/acme/Tasks-{DATABASE.replace('-', '')}?v=abc"
    result = await run(
        call,
        "create_page",
        {
            "database_id": link,
            "title": "Review launch plan",
            "properties": {"Status": {"status": {"name": "Done"}}, "Points": {"number": 2}},
            "content": "# Goals\nShip it.\nOn time.\n\n- one\n- two\n1. first\n- [x] done",
            "icon_emoji": "🚀",
        },
    )

    database, source, created = notion.requests
    assert (database.method, database.path) == ("GET", f"/v1/databases/{DATABASE}")
    assert (source.method, source.path) == ("GET", f"/v1/data_sources/{SOURCE}")
    assert (created.method, created.path) == ("POST", "/v1/pages")
    assert created.header("authorization") == f"Bearer {TOKEN}"
    assert created.header("notion-version") == VERSION
    assert created.body["parent"] == {"type": "data_source_id", "data_source_id": SOURCE}
    assert created.body["properties"]["Task"] == {
        "title": [{"type": "text", "text": {"content": "Review launch plan"}}]
    }
    assert created.body["icon"] == {"type": "emoji", "emoji": "🚀"}
    kinds = [b["type"] for b in created.body["children"]]
    assert kinds == [
        "heading_1",
        "paragraph",
        "bulleted_list_item",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
    ]
    assert created.body["children"][1]["paragraph"]["rich_text"][0]["text"]["content"] == "Ship it.\nOn time."
    assert created.body["children"][5]["to_do"]["checked"] is True
    assert result.title == "Review launch plan"
    assert result.properties == {"Task": "Review launch plan", "Status": "Done", "Points": 2}
    assert result.url == f"https://www.notion.so/{result.id.replace('-', '')}"


async def test_create_page_in_a_page_with_more_than_100_blocks(notion: NotionAPI, call: ActionCall) -> None:
    content = "\n\n".join(f"Paragraph {i}" for i in range(230))
    result = await run(
        call, "create_page", {"parent_page_id": PAGE.replace("-", ""), "title": "Log", "content": content}
    )

    created, *appended = notion.requests
    assert created.body["parent"] == {"type": "page_id", "page_id": PAGE}
    assert list(created.body["properties"]) == ["title"]
    assert len(created.body["children"]) == 100
    assert [(r.method, r.path, len(r.body["children"])) for r in appended] == [
        ("PATCH", f"/v1/blocks/{result.id}/children", 100),
        ("PATCH", f"/v1/blocks/{result.id}/children", 30),
    ]
    assert len(notion.blocks[result.id]) == 230


async def test_a_database_with_several_sources_asks_which(notion: NotionAPI, call: ActionCall) -> None:
    with pytest.raises(PermanentStepError, match="several data sources") as ambiguous:
        await run(call, "create_page", {"database_id": MULTI_DATABASE, "title": "x"})
    assert SOURCE in ambiguous.value.message
    assert [r.method for r in notion.requests] == ["GET"]  # nothing was created

    await run(call, "create_page", {"data_source_id": SOURCE, "properties": {"Task": {"title": []}}})
    assert notion.last.body["parent"]["data_source_id"] == SOURCE


async def test_update_page_sets_the_title_property_by_its_name(notion: NotionAPI, call: ActionCall) -> None:
    task = next(p for p in notion.pages.values() if p["parent"].get("data_source_id"))
    result = await run(
        call,
        "update_page",
        {
            "page_id": task["url"],
            "title": "Renamed",
            "properties": {"Status": {"status": {"name": "Blocked"}}},
        },
    )

    read, patched = notion.requests
    assert (read.method, read.path) == ("GET", f"/v1/pages/{task['id']}")
    assert (patched.method, patched.path) == ("PATCH", f"/v1/pages/{task['id']}")
    assert set(patched.body["properties"]) == {"Task", "Status"}
    assert result.properties["Task"] == "Renamed"
    assert result.properties["Status"] == "Blocked"

    await run(call, "update_page", {"page_id": task["id"], "in_trash": True})
    assert notion.last.body == {"in_trash": True}
    assert notion.pages[task["id"]]["in_trash"] is True


async def test_query_database_filters_sorts_and_pages(notion: NotionAPI, call: ActionCall) -> None:
    result = await run(
        call,
        "query_database",
        {
            "database_id": DATABASE,
            "filter": {"property": "Status", "status": {"equals": "Done"}},
            "sorts": [{"property": "Points", "direction": "descending"}],
            "page_size": 1,
        },
    )

    query = notion.last
    assert (query.method, query.path) == ("POST", f"/v1/data_sources/{SOURCE}/query")
    assert query.body == {
        "page_size": 1,
        "filter": {"property": "Status", "status": {"equals": "Done"}},
        "sorts": [{"property": "Points", "direction": "descending"}],
    }
    assert [r["title"] for r in result.results] == ["Ship"]
    assert result.results[0]["properties"] == {"Task": "Ship", "Status": "Done", "Points": 5}
    assert result.has_more is True
    rest = await run(
        call,
        "query_database",
        {"data_source_id": SOURCE, "filter": query.body["filter"], "start_cursor": result.next_cursor},
    )
    assert [r["title"] for r in rest.results] == ["Plan"]
    assert rest.has_more is False


async def test_append_blocks(notion: NotionAPI, call: ActionCall) -> None:
    raw = {"type": "divider", "divider": {}}
    result = await run(
        call, "append_blocks", {"block_id": PAGE, "content": "## Notes\nAll good", "children": [raw]}
    )

    assert (notion.last.method, notion.last.path) == ("PATCH", f"/v1/blocks/{PAGE}/children")
    assert [b["type"] for b in notion.last.body["children"]] == ["heading_2", "paragraph", "divider"]
    assert result.block_ids == [b["id"] for b in notion.blocks[PAGE]]
    assert len(result.block_ids) == 3


async def test_notion_errors_carry_notions_message(notion: NotionAPI, call: ActionCall) -> None:
    with pytest.raises(PermanentStepError) as unknown_property:
        await run(call, "create_page", {"data_source_id": SOURCE, "properties": {"Owner": {"people": []}}})
    assert "Owner is not a property that exists. (validation_error)" in unknown_property.value.message
    assert unknown_property.value.code == "http_400"

    with pytest.raises(PermanentStepError, match="Could not find block with ID") as missing:
        await run(call, "append_blocks", {"block_id": "ffffffffffffffffffffffffffffffff", "content": "x"})
    assert missing.value.code == "http_404"

    with pytest.raises(PermanentStepError, match=r"body\.children\[0\]\.None should be defined"):
        await run(call, "append_blocks", {"block_id": PAGE, "children": [{"paragraph": {}}]})


async def test_wrong_token_and_rate_limit(
    notion: NotionAPI, http: httpx.AsyncClient, call: ActionCall
) -> None:
    wrong = action_call(TOOL, notion, http, credentials={"token": "ntn_wrong"})
    with pytest.raises(AuthExpired, match="API token is invalid"):
        await TOOL.test(wrong)

    notion.enqueue(
        Reply(
            429,
            {
                "object": "error",
                "status": 429,
                "code": "rate_limited",
                "message": "You have been rate limited.",
            },
            headers={"Retry-After": "2"},
        )
    )
    with pytest.raises(TransientStepError) as limited:
        await run(call, "query_database", {"data_source_id": SOURCE})
    assert (limited.value.code, limited.value.output["retry_after"]) == ("rate_limit", "2")
    assert "rate limited" in limited.value.message

    conflict = {
        "object": "error",
        "status": 409,
        "code": "conflict_error",
        "message": "Conflict occurred while saving.",
    }
    notion.enqueue(Reply(409, conflict))
    with pytest.raises(TransientStepError, match="Conflict occurred") as retried:
        await run(call, "update_page", {"page_id": PAGE, "in_trash": False})
    assert retried.value.code == "http_409"
    assert notion.last.method == "PATCH"


async def test_preview_captures_writes_and_still_queries(notion: NotionAPI, http: httpx.AsyncClient) -> None:
    preview = action_call(TOOL, notion, http, credentials={"token": TOKEN}, preview=True)
    with pytest.raises(Previewed) as captured:
        await run(preview, "create_page", {"database_id": DATABASE, "title": "Would create"})
    assert captured.value.request["method"] == "POST"
    assert captured.value.request["json"]["parent"] == {"type": "data_source_id", "data_source_id": SOURCE}
    assert TOKEN not in str(captured.value.request)
    assert all(r.method == "GET" for r in notion.requests)  # only the lookups ran

    found = await run(preview, "query_database", {"database_id": DATABASE})
    assert len(found.results) == 3  # a query is a read although it is a POST


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("create_page", {"title": "no parent"}),
        ("create_page", {"parent_page_id": PAGE, "database_id": DATABASE}),
        ("create_page", {"parent_page_id": "not-an-id"}),
        ("create_page", {"parent_page_id": PAGE, "title": "x" * 2001}),
        ("create_page", {"parent_page_id": PAGE, "children": [{"type": "divider", "divider": {}}] * 101}),
        ("update_page", {"page_id": PAGE}),
        ("query_database", {"database_id": DATABASE, "page_size": 101}),
        ("query_database", {}),
        ("append_blocks", {"block_id": PAGE}),
    ],
)
def test_params_refuse_bad_input(action: str, params: dict[str, Any]) -> None:
    found = TOOL.action(action)
    assert found is not None
    with pytest.raises(ValidationError):
        found.params.model_validate(params)


def test_long_text_is_split_into_rich_text_pieces() -> None:
    (block,) = text_blocks("x" * 4500)
    assert [len(part["text"]["content"]) for part in block["paragraph"]["rich_text"]] == [2000, 2000, 500]


async def test_connection_test_and_revoke(
    notion: NotionAPI, http: httpx.AsyncClient, call: ActionCall
) -> None:
    assert await TOOL.test(call) == {"bot_id": "bot-1", "name": "AgentFlow", "workspace_name": "Acme"}
    assert notion.last.header("notion-version") == VERSION

    # An internal integration secret is revoked in Notion's settings, not through the API.
    assert await TOOL.revoke(call) is False

    tool = TOOL
    oauth_call = action_call(
        tool,
        notion,
        http,
        credentials={
            "access_token": "ntn_oauth_token",
            "oauth.client_id": CLIENT[0],
            "oauth.client_secret": CLIENT[1],
        },
        oauth=replace(NOTION_OAUTH, revoke_url=f"{notion.url}/v1/oauth/revoke"),
    )
    assert await tool.revoke(oauth_call) is True
    assert notion.last.body == {"token": "ntn_oauth_token"}
    assert notion.revoked == ["ntn_oauth_token"]


def test_oauth_token_response_keeps_the_workspace() -> None:
    kept = TOOL.connection_config(
        {
            "access_token": "secret",
            "bot_id": "b1",
            "workspace_id": "w1",
            "workspace_name": "Acme",
            "owner": {},
        }
    )
    assert kept == {"workspace_id": "w1", "workspace_name": "Acme", "bot_id": "b1"}
