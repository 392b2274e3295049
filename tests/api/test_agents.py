"""Agents: create, read, edit the draft with its validation report, list filters and paging, archive."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.rbac import Role
from tests.factories import Member, add_member, create_agent, create_api_key, triage_definition


def node(node_id: str, node_type: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "name": node_id.title(), "config": config}


async def save(client: httpx.AsyncClient, member: Member, agent_id: str, **body: Any) -> httpx.Response:
    """PUT the agent with the If-Match of a fresh GET."""
    etag = (await client.get(f"/agents/{agent_id}", headers=member.headers)).headers["ETag"]
    return await client.put(f"/agents/{agent_id}", json=body, headers={**member.headers, "If-Match": etag})


async def test_create_without_definition_gets_a_starter_draft(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    created = await client.post(
        "/agents", json={"name": "  Morning digest ", "tags": ["Ops", "ops", "daily"]}, headers=editor.headers
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    assert created.headers["ETag"] == '"1"'
    assert agent["name"] == "Morning digest" and agent["tags"] == ["ops", "daily"]
    assert agent["status"] == "draft" and agent["current_version"] is None and agent["current"] is None
    assert agent["draft"] == {
        "nodes": [{"id": "start", "type": "trigger", "name": "Start", "config": {"kind": "manual"}}],
        "edges": [],
    }
    assert agent["trigger_type"] == "manual"
    assert agent["validation"] == {"errors": [], "warnings": []} and agent["publishable"] is True
    assert agent["created_by"] == str(editor.user_id)
    assert agent["last_run_at"] is None and agent["success_rate"] is None

    fetched = await client.get(f"/agents/{agent['id']}", headers=editor.headers)
    assert fetched.status_code == 200 and fetched.json() == agent


async def test_saving_an_incomplete_draft_keeps_it_and_reports_what_is_wrong(
    client: httpx.AsyncClient, owner: Member
) -> None:
    agent_id = (await client.post("/agents", json={"name": "Triage"}, headers=owner.headers)).json()["id"]
    draft = {
        "nodes": [
            node("start", "trigger", kind="manual"),
            node("classify", "ai", prompt="Label: {{start.output.text}}"),
            node(
                "notify",
                "action.webhook",
                url="https://hooks.example.test/x",
                payload={"n": "{{nope.output}}"},
            ),
            node("orphan", "logic.delay", seconds=5),
        ],
        "edges": [{"source": "start", "target": "classify"}, {"source": "classify", "target": "notify"}],
    }
    saved = await save(client, owner, agent_id, definition=draft)
    assert saved.status_code == 200, saved.text
    assert saved.headers["ETag"] == '"2"'
    body = saved.json()
    assert body["draft"] == draft and body["draft_revision"] == 2
    [error] = body["validation"]["errors"]
    assert error["code"] == "unknown_reference" and error["node_id"] == "notify"
    assert error["field"] == "config.payload.n" and "'notify'" in error["message"]
    [warning] = body["validation"]["warnings"]
    assert warning["code"] == "unreachable_node" and warning["node_id"] == "orphan"
    assert body["publishable"] is False
    again = await client.get(f"/agents/{agent_id}", headers=owner.headers)
    assert again.json()["draft"] == draft and again.json()["validation"] == body["validation"]


async def test_a_draft_with_only_warnings_is_publishable_after_fixing_reachability(
    client: httpx.AsyncClient, owner: Member
) -> None:
    draft = {
        "nodes": [
            node("start", "trigger"),
            node("wait", "logic.delay", seconds=1, until="2030-01-01T00:00:00Z"),
        ],
        "edges": [{"source": "start", "target": "wait"}, {"source": "start", "target": "wait"}],
    }
    created = await client.post("/agents", json={"name": "Waits", "definition": draft}, headers=owner.headers)
    assert created.status_code == 201
    codes = [w["code"] for w in created.json()["validation"]["warnings"]]
    assert "duplicate_edge" in codes
    assert [e["code"] for e in created.json()["validation"]["errors"]] == ["invalid_delay"]


async def test_template_reaching_python_internals_is_a_validation_error_on_save(
    client: httpx.AsyncClient, owner: Member
) -> None:
    draft = triage_definition(prompt="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    created = await client.post(
        "/agents", json={"name": "Sneaky", "definition": draft}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    [error] = created.json()["validation"]["errors"]
    assert error["code"] == "unsafe_template"
    assert error["node_id"] == "classify" and error["field"] == "config.prompt"
    assert "__class__" in error["message"] and "sandbox" in error["message"]
    published = await client.post(f"/agents/{created.json()['id']}/publish", json={}, headers=owner.headers)
    assert published.status_code == 422 and "unsafe_template" in published.text


async def test_malformed_definitions_are_refused_with_located_issues(
    client: httpx.AsyncClient, owner: Member
) -> None:
    typo = triage_definition()
    typo["nodes"][1]["config"]["promt"] = typo["nodes"][1]["config"].pop("prompt")
    refused = await client.post("/agents", json={"name": "Typo", "definition": typo}, headers=owner.headers)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_definition"
    fields = {(i["node_id"], i["field"]) for i in error["details"]["issues"]}
    assert ("classify", "config.promt") in fields and ("classify", "config.prompt") in fields
    assert "did you mean 'prompt'" in error["message"]

    agent_id = (await client.post("/agents", json={"name": "Fine"}, headers=owner.headers)).json()["id"]
    bad_type = await save(client, owner, agent_id, definition={"nodes": [node("start", "teleport")]})
    assert bad_type.status_code == 422 and bad_type.json()["error"]["code"] == "invalid_definition"
    assert (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()["draft_revision"] == 1

    unknown_top = await client.post("/agents", json={"name": "X", "colour": "red"}, headers=owner.headers)
    assert unknown_top.status_code == 422


async def test_more_than_500_nodes_is_refused(client: httpx.AsyncClient, owner: Member) -> None:
    nodes = [node("start", "trigger")] + [node(f"n{i}", "logic.delay", seconds=1) for i in range(500)]
    edges = [{"source": "start", "target": f"n{i}"} for i in range(500)]
    refused = await client.post(
        "/agents",
        json={"name": "Huge", "definition": {"nodes": nodes, "edges": edges}},
        headers=owner.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "too_many_nodes"
    assert "at most 500" in refused.json()["error"]["message"]
    accepted = await client.post(
        "/agents",
        json={"name": "Big", "definition": {"nodes": nodes[:500], "edges": edges[:499]}},
        headers=owner.headers,
    )
    assert accepted.status_code == 201


async def test_metadata_edits_and_team_assignment(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    team_id = (await client.post("/teams", json={"name": "Support"}, headers=owner.headers)).json()["id"]
    agent_id = (await client.post("/agents", json={"name": "Triage"}, headers=owner.headers)).json()["id"]
    saved = await save(
        client, owner, agent_id, description="Sorts tickets", team_id=team_id, tags=["Support"]
    )
    assert saved.status_code == 200
    assert saved.json()["team_id"] == team_id and saved.json()["tags"] == ["support"]
    assert saved.json()["description"] == "Sorts tickets" and saved.json()["name"] == "Triage"

    unchanged = await save(client, owner, agent_id, description="Sorts tickets")
    assert unchanged.json()["draft_revision"] == saved.json()["draft_revision"]  # nothing changed, no bump

    cleared = await save(client, owner, agent_id, team_id=None)
    assert cleared.json()["team_id"] is None and cleared.json()["description"] == "Sorts tickets"

    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    assert (await client.get(f"/agents/{agent_id}", headers=viewer.headers)).status_code == 200
    assert (await save(client, viewer, agent_id, name="Nope")).status_code == 403


async def test_list_filters(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    team_id = (await client.post("/teams", json={"name": "Ops"}, headers=owner.headers)).json()["id"]
    schedule = {
        "nodes": [node("start", "trigger", kind="schedule", cron="0 9 * * 1-5", timezone="Europe/Paris")],
        "edges": [],
    }
    await create_agent(session, owner, name="Ticket triage", tags=["support", "p1"])
    digest = await create_agent(session, owner, name="Daily 100% digest", definition=schedule, tags=["ops"])
    await client.post("/agents", json={"name": "Manual helper", "team_id": team_id}, headers=owner.headers)
    published = await create_agent(session, owner, name="Live triage", tags=["support"])
    await client.post(f"/agents/{published}/publish", json={"message": "go"}, headers=owner.headers)

    async def names(**params: Any) -> list[str]:
        response = await client.get("/agents", params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names() == ["Live triage", "Manual helper", "Daily 100% digest", "Ticket triage"]
    assert await names(status="active") == ["Live triage"]
    assert await names(status="draft") == ["Manual helper", "Daily 100% digest", "Ticket triage"]
    assert await names(trigger_type="schedule") == ["Daily 100% digest"]
    assert await names(trigger_type="webhook") == ["Live triage", "Ticket triage"]
    assert await names(team_id=team_id) == ["Manual helper"]
    assert await names(tag="support") == ["Live triage", "Ticket triage"]
    assert await names(tag=["support", "P1"]) == ["Ticket triage"]
    assert await names(q="TRIAGE") == ["Live triage", "Ticket triage"]
    assert await names(q="100%") == ["Daily 100% digest"]
    assert await names(q="%") == ["Daily 100% digest"]  # % is a character, not a wildcard
    assert len(await names(q="  ")) == 4  # a blank search is no search
    assert await names(q="triage", status="active", tag="support") == ["Live triage"]
    bad = await client.get("/agents", params={"trigger_type": "carrier-pigeon"}, headers=owner.headers)
    assert bad.status_code == 422

    summary = (await client.get("/agents", params={"q": "digest"}, headers=owner.headers)).json()["items"][0]
    assert summary["id"] == str(digest) and "draft" not in summary
    assert summary["last_run_at"] is None and summary["success_rate"] is None


async def test_pagination_is_stable_while_agents_are_added(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    first = [str(await create_agent(session, owner, name=f"a{i}")) for i in range(5)]
    seen: list[str] = []
    page = (await client.get("/agents", params={"limit": 2}, headers=owner.headers)).json()
    seen += [item["id"] for item in page["items"]]
    for i in range(3):  # newer agents land before the cursor and never shift what follows it
        await create_agent(session, owner, name=f"late{i}")
    while page["next_cursor"]:
        page = (
            await client.get(
                "/agents", params={"limit": 2, "cursor": page["next_cursor"]}, headers=owner.headers
            )
        ).json()
        seen += [item["id"] for item in page["items"]]
    assert seen == list(reversed(first))
    bad = await client.get("/agents", params={"cursor": "not-a-cursor"}, headers=owner.headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"


async def test_archive_hides_and_freezes_the_agent(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    agent_id = str(await create_agent(session, owner, name="Old"))
    assert (await client.delete(f"/agents/{agent_id}", headers=editor.headers)).status_code == 403
    assert (await client.delete(f"/agents/{agent_id}", headers=owner.headers)).status_code == 204
    assert (
        await client.delete(f"/agents/{agent_id}", headers=owner.headers)
    ).status_code == 204  # idempotent

    listed = await client.get("/agents", headers=owner.headers)
    assert agent_id not in [item["id"] for item in listed.json()["items"]]
    archived = await client.get("/agents", params={"status": "archived"}, headers=owner.headers)
    [item] = archived.json()["items"]
    assert item["id"] == agent_id and item["status"] == "archived" and item["archived_at"] is not None
    assert (await client.get(f"/agents/{agent_id}", headers=editor.headers)).status_code == 200

    edit = await save(client, owner, agent_id, name="Renamed")
    assert edit.status_code == 409 and edit.json()["error"]["code"] == "agent_archived"
    publish = await client.post(f"/agents/{agent_id}/publish", json={}, headers=owner.headers)
    assert publish.status_code == 409

    restore = {"status": "draft"}
    assert (
        await client.put(f"/agents/{agent_id}/status", json=restore, headers=editor.headers)
    ).status_code == 403
    restored = await client.put(f"/agents/{agent_id}/status", json=restore, headers=owner.headers)
    assert restored.status_code == 200 and restored.json()["status"] == "draft"
    assert restored.json()["archived_at"] is None
    assert agent_id in [i["id"] for i in (await client.get("/agents", headers=owner.headers)).json()["items"]]


async def test_duplicate_copies_the_draft_not_the_history(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    source = await create_agent(session, owner, name="Triage", tags=["support"])
    await client.post(f"/agents/{source}/publish", json={}, headers=owner.headers)
    copied = await client.post(f"/agents/{source}/duplicate", json={}, headers=owner.headers)
    assert copied.status_code == 201
    body = copied.json()
    assert body["name"] == "Copy of Triage" and body["tags"] == ["support"]
    assert body["status"] == "draft" and body["current_version"] is None and body["draft_revision"] == 1
    assert body["draft"] == triage_definition() and body["id"] != str(source)
    named = await client.post(
        f"/agents/{source}/duplicate", json={"name": "Triage EU"}, headers=owner.headers
    )
    assert named.json()["name"] == "Triage EU"
    versions = await client.get(f"/agents/{body['id']}/versions", headers=owner.headers)
    assert versions.json()["items"] == []


async def test_variables_for_the_builder_picker(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    draft = triage_definition()
    draft["nodes"].append(node("reply", "ai", prompt="Reply to a {{classify.output.label}}"))
    draft["edges"].append({"source": "classify", "target": "reply"})
    agent = await create_agent(session, owner, definition=draft)
    response = await client.get(f"/agents/{agent}/variables", params={"node": "reply"}, headers=owner.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["node_id"] == "reply"
    by_template = {v["template"]: v for v in body["variables"]}
    assert by_template["{{classify.output.label}}"]["shape"] == "string"
    assert by_template["{{classify.output.confidence}}"]["shape"] == "number"
    assert "{{start.output.body}}" in by_template and "{{execution.id}}" in by_template
    assert not any(v["root"] == "reply" for v in body["variables"])

    upstream_only = await client.get(
        f"/agents/{agent}/variables", params={"node": "classify"}, headers=owner.headers
    )
    assert not any(v["root"] == "classify" for v in upstream_only.json()["variables"])
    missing = await client.get(f"/agents/{agent}/variables", params={"node": "ghost"}, headers=owner.headers)
    # A node the builder has not saved yet: no upstream outputs, only what every node may use.
    assert missing.status_code == 200
    assert {v["root"] for v in missing.json()["variables"]} == {"execution"}
    no_node = await client.get(f"/agents/{agent}/variables", headers=owner.headers)
    assert no_node.status_code == 422


async def test_schema_endpoints_are_public(client: httpx.AsyncClient) -> None:
    schema = await client.get("/schemas/agent-definition")
    assert schema.status_code == 200
    body = schema.json()
    assert body["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"nodes", "edges", "settings"} <= set(body["properties"])
    palette = await client.get("/schemas/node-types")
    assert palette.status_code == 200
    types = {item["type"]: item for item in palette.json()}
    assert len(types) == 11
    assert types["logic.if"]["handles"] == ["true", "false"] and types["logic.if"]["category"] == "logic"
    assert "prompt" in types["ai"]["config_schema"]["properties"]
    assert types["trigger"]["label"] == "Trigger" and types["trigger"]["description"]


async def test_an_oversized_definition_is_413(
    client: httpx.AsyncClient, settings: Settings, owner: Member
) -> None:
    huge = triage_definition(prompt="x" * (settings.max_body_bytes + 1))
    refused = await client.post("/agents", json={"name": "Huge", "definition": huge}, headers=owner.headers)
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "payload_too_large"


async def test_unfinished_node_configs_save_as_draft_errors_and_block_publishing(
    client: httpx.AsyncClient, owner: Member
) -> None:
    draft = {
        "nodes": [node("start", "trigger"), {"id": "call", "type": "action.http", "config": {"url": ""}}],
        "edges": [{"source": "start", "target": "call"}],
    }
    created = await client.post(
        "/agents", json={"name": "Half built", "definition": draft}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    errors = created.json()["validation"]["errors"]
    assert [(e["node_id"], e["field"]) for e in errors] == [("call", "config.url")]
    assert created.json()["publishable"] is False
    variables = await client.get(
        f"/agents/{created.json()['id']}/variables", params={"node": "call"}, headers=owner.headers
    )
    assert variables.status_code == 200
    assert any(
        v["template"] == "{{start.output}}" or v["node_id"] == "start" for v in variables.json()["variables"]
    )
    published = await client.post(f"/agents/{created.json()['id']}/publish", json={}, headers=owner.headers)
    assert published.status_code == 422


async def test_only_callers_who_may_run_an_agent_see_its_webhook_url(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    agent_id = await create_agent(session, owner)
    published = await client.post(f"/agents/{agent_id}/publish", json={}, headers=editor.headers)
    assert published.status_code == 201, published.text

    def url_in(response: httpx.Response) -> str | None:
        assert response.status_code == 200, response.text
        body = response.json()
        return body["items"][0]["webhook_url"] if "items" in body else body["webhook_url"]

    url = url_in(await client.get(f"/agents/{agent_id}", headers=editor.headers))
    assert url is not None and "/api/v1/hooks/" in url
    assert url_in(await client.get("/agents", headers=editor.headers)) == url
    # A viewer reads the agent but not the URL that would let them start it.
    assert url_in(await client.get(f"/agents/{agent_id}", headers=viewer.headers)) is None
    assert url_in(await client.get("/agents", headers=viewer.headers)) is None
    token = url.rsplit("/", 1)[1]
    for response in (
        await client.get(f"/agents/{agent_id}", headers=viewer.headers),
        await client.get("/agents", headers=viewer.headers),
    ):
        assert token not in response.text
    # An API key without agents:execute is treated the same way, on every agent response.
    key = await create_api_key(session, editor, scopes=["agents:read", "agents:publish"])
    read_only = {"X-API-Key": key}
    assert url_in(await client.get(f"/agents/{agent_id}", headers=read_only)) is None
    paused = await client.put(f"/agents/{agent_id}/status", json={"status": "paused"}, headers=read_only)
    assert url_in(paused) is None
    assert (
        url_in(
            await client.put(f"/agents/{agent_id}/status", json={"status": "active"}, headers=editor.headers)
        )
        == url
    )
