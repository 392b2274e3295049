"""Bodies and definitions built to stall the API or the shared worker are refused with a clear 4xx."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from tests.factories import Member, create_agent, triage_definition

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    # The production default body limit (1 MiB), so that a body 100k levels deep gets past it.
    return settings.model_copy(update={"max_body_bytes": 1_048_576})


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def assert_too_deep(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "json_too_deep"
    assert "64 levels" in error["message"]
    assert error["details"] == {"max_depth": 64}


async def test_a_body_nested_100k_deep_is_400_not_500(client: httpx.AsyncClient, owner: Member) -> None:
    # Before: json.loads hit RecursionError and the API answered 500.
    body = b'{"name": "Deep", "definition": ' + nested(100_000) + b"}"
    assert_too_deep(await client.post("/agents", content=body, headers={**owner.headers, **JSON}))
    as_json_api = {**owner.headers, "Content-Type": "application/vnd.api+json; charset=utf-8"}
    assert_too_deep(await client.post("/agents", content=body, headers=as_json_api))
    listed = await client.get("/agents", headers=owner.headers)
    assert listed.json()["items"] == []


async def test_a_streamed_deep_body_is_refused_too(client: httpx.AsyncClient, owner: Member) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length
        yield b'{"name": "Deep", "definition": '
        for _ in range(10):
            yield b"[" * 10_000
        yield b"]" * 100_000 + b"}"

    assert_too_deep(await client.post("/agents", content=chunks(), headers={**owner.headers, **JSON}))


async def test_65_levels_are_refused_and_10_accepted(client: httpx.AsyncClient, owner: Member) -> None:
    # 300 levels was stored before, and then broke orjson (254 at most) in the worker.
    for depth in (65, 300):
        body = b'{"name": "Deep", "definition": {"nodes": [], "edges": [], "x": ' + nested(depth - 2) + b"}}"
        assert_too_deep(await client.post("/agents", content=body, headers={**owner.headers, **JSON}))
    ten_deep: Any = "leaf"
    for _ in range(7):
        ten_deep = {"k": ten_deep}
    definition = triage_definition()
    definition["nodes"][1]["config"]["output_schema"] = ten_deep  # with body, definition, nodes: 10 levels
    body = json.dumps({"name": "Ten", "definition": definition}).encode()
    created = await client.post("/agents", content=body, headers={**owner.headers, **JSON})
    assert created.status_code == 201, created.text


async def test_brackets_inside_strings_are_not_nesting(client: httpx.AsyncClient, owner: Member) -> None:
    name = 'A "quoted\\" [[[[' + "[{" * 80  # an escaped quote and a backslash: the string still ends right
    body = json.dumps({"name": name, "description": "[" * 2500 + "{" * 2500}).encode()
    created = await client.post("/agents", content=body, headers={**owner.headers, **JSON})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == name


async def test_a_deep_webhook_body_is_400(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    published = await client.post(f"/agents/{agent_id}/publish", json={"message": ""}, headers=owner.headers)
    assert published.status_code == 201, published.text
    agent = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()
    token = agent["webhook_url"].rsplit("/", 1)[1]
    assert_too_deep(await client.post(f"/hooks/{token}", content=nested(100_000), headers=JSON))
    assert_too_deep(await client.post(f"/hooks/{token}", content=nested(65), headers=JSON))
    executions = await client.get("/executions", params={"agent_id": str(agent_id)}, headers=owner.headers)
    assert executions.json()["items"] == []
    # Not JSON by its content type: the webhook takes it as text, and nothing parses it as JSON.
    as_text = await client.post(
        f"/hooks/{token}", content=nested(100_000), headers={"Content-Type": "text/plain"}
    )
    assert as_text.status_code == 202, as_text.text


async def test_an_oversized_streamed_json_body_is_still_413(client: httpx.AsyncClient, owner: Member) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # the body limit counts it while this middleware buffers
        for _ in range(2000):
            yield b"[" * 1024

    response = await client.post("/agents", content=chunks(), headers={**owner.headers, **JSON})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


BILLION_LAUGHS = b"""\
name: Laughs
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
definition: {nodes: *g}
"""


async def test_yaml_import_refuses_aliases_and_deep_nesting(client: httpx.AsyncClient, owner: Member) -> None:
    yaml_headers = {**owner.headers, "Content-Type": "application/yaml"}
    laughs = await client.post("/agents/import", content=BILLION_LAUGHS, headers=yaml_headers)
    assert laughs.status_code == 400, laughs.text
    error = laughs.json()["error"]
    assert "YAML anchors and aliases are not allowed" in error["message"]
    assert (error["details"]["line"], error["details"]["column"]) == (2, 4)
    deep = b"name: Deep\ndefinition: {nodes: " + nested(100_000) + b"}\n"
    refused = await client.post("/agents/import", content=deep, headers=yaml_headers)
    assert refused.status_code == 400, refused.text
    assert "nesting deeper than 64 levels is not allowed" in refused.json()["error"]["message"]


async def test_an_approval_waits_at_most_30_days(client: httpx.AsyncClient, owner: Member) -> None:
    def with_timeout(seconds: int) -> dict[str, Any]:
        definition = triage_definition()
        definition["nodes"].append(
            {
                "id": "ask",
                "type": "human.approval",
                "name": "Ask",
                "config": {"message": "OK?", "timeout_seconds": seconds},
            }
        )
        definition["edges"].append({"source": definition["nodes"][1]["id"], "target": "ask"})
        return definition

    forever = await client.post(
        "/agents", json={"name": "Forever", "definition": with_timeout(10**12)}, headers=owner.headers
    )
    assert forever.status_code == 201  # a draft may be unfinished; the value is reported, never run
    errors = forever.json()["validation"]["errors"]
    assert any(i["node_id"] == "ask" and i["field"] == "config.timeout_seconds" for i in errors), errors
    published = await client.post(
        f"/agents/{forever.json()['id']}/publish", json={"message": ""}, headers=owner.headers
    )
    assert published.status_code == 422
    test_run = await client.post(
        f"/agents/{forever.json()['id']}/test",
        json={"input": {}, "definition": with_timeout(2_592_001)},
        headers=owner.headers,
    )
    assert test_run.status_code == 422, test_run.text
    month = await client.post(
        "/agents", json={"name": "Month", "definition": with_timeout(2_592_000)}, headers=owner.headers
    )
    assert month.status_code == 201
    assert month.json()["validation"]["errors"] == [], month.text


async def test_a_test_run_obeys_the_node_limit(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    nodes = [{"id": "start", "type": "trigger", "name": "Start", "config": {"kind": "manual"}}] + [
        {"id": f"n{i}", "type": "logic.delay", "name": f"n{i}", "config": {"seconds": 1}} for i in range(500)
    ]
    edges = [{"source": "start", "target": f"n{i}"} for i in range(500)]
    refused = await client.post(
        f"/agents/{agent_id}/test",
        json={"input": {}, "definition": {"nodes": nodes, "edges": edges}},
        headers=owner.headers,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "too_many_nodes"
    assert "at most 500" in refused.json()["error"]["message"]
    executions = await client.get("/executions", params={"agent_id": str(agent_id)}, headers=owner.headers)
    assert executions.json()["items"] == []
