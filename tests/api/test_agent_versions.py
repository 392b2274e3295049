"""Publishing, versions, rollback, diff and status: what runs is always a frozen, valid version."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.rbac import Role
from tests.factories import Member, add_member, create_agent, triage_definition


async def put_draft(
    client: httpx.AsyncClient, member: Member, agent_id: uuid.UUID, draft: dict[str, Any]
) -> None:
    etag = (await client.get(f"/agents/{agent_id}", headers=member.headers)).headers["ETag"]
    saved = await client.put(
        f"/agents/{agent_id}", json={"definition": draft}, headers={**member.headers, "If-Match": etag}
    )
    assert saved.status_code == 200, saved.text


async def publish(
    client: httpx.AsyncClient, member: Member, agent_id: uuid.UUID, message: str = ""
) -> httpx.Response:
    return await client.post(f"/agents/{agent_id}/publish", json={"message": message}, headers=member.headers)


async def test_publish_refuses_an_invalid_draft_naming_node_and_field(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    draft = triage_definition(prompt="Classify {{start.output.body.text}} like {{clasify.output.label}}")
    draft["nodes"].append({"id": "lonely", "type": "logic.delay", "name": "Lonely", "config": {"seconds": 3}})
    agent_id = await create_agent(session, owner, definition=draft)
    detail = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()
    assert [w["code"] for w in detail["validation"]["warnings"]] == [
        "unreachable_node"
    ]  # a warning on drafts

    refused = await publish(client, owner, agent_id, "first")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_draft"
    assert "node 'classify' config.prompt" in error["message"] and "clasify" in error["message"]
    by_code = {issue["code"]: issue for issue in error["details"]["errors"]}
    assert by_code["unknown_reference"]["node_id"] == "classify"
    assert by_code["unknown_reference"]["field"] == "config.prompt"
    assert "did you mean 'classify'" in by_code["unknown_reference"]["message"]
    assert by_code["unreachable_node"]["node_id"] == "lonely"  # an error when publishing
    versions = await client.get(f"/agents/{agent_id}/versions", headers=owner.headers)
    assert versions.json()["items"] == []
    agent = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()
    assert agent["current_version"] is None and agent["status"] == "draft"


async def test_publish_freezes_versions_and_refuses_an_unchanged_draft(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    agent_id = await create_agent(session, owner)
    first = await publish(client, editor, agent_id, "First cut")
    assert first.status_code == 201, first.text
    v1 = first.json()
    canonical = json.dumps(triage_definition(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert v1["number"] == 1 and v1["message"] == "First cut" and v1["published_by"] == str(editor.user_id)
    assert v1["definition"] == triage_definition()
    assert v1["checksum"] == hashlib.sha256(canonical.encode()).hexdigest()

    agent = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()
    assert agent["status"] == "active" and agent["current_version"] == 1
    assert agent["current"]["number"] == 1 and agent["current"]["checksum"] == v1["checksum"]

    again = await publish(client, editor, agent_id, "Again")
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_publish"

    await put_draft(client, editor, agent_id, triage_definition(prompt="Label: {{start.output.body.text}}"))
    # Editing the draft changes nothing that runs until it is published.
    v1_again = await client.get(f"/agents/{agent_id}/versions/1", headers=owner.headers)
    assert v1_again.json()["definition"] == triage_definition()
    second = await publish(client, editor, agent_id, "Shorter prompt")
    assert second.status_code == 201 and second.json()["number"] == 2

    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    assert (await publish(client, viewer, agent_id)).status_code == 403
    listed = await client.get(f"/agents/{agent_id}/versions", headers=viewer.headers)
    assert [v["number"] for v in listed.json()["items"]] == [2, 1]
    assert "definition" not in listed.json()["items"][0]
    missing = await client.get(f"/agents/{agent_id}/versions/9", headers=viewer.headers)
    assert missing.status_code == 404


async def test_versions_page_newest_first(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    for n in range(5):
        await put_draft(client, owner, agent_id, triage_definition(prompt=f"v{n} {{{{start.output.body}}}}"))
        assert (await publish(client, owner, agent_id)).status_code == 201
    numbers: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"/agents/{agent_id}/versions", params=params, headers=owner.headers)).json()
        numbers += [v["number"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert numbers == [5, 4, 3, 2, 1]


async def test_rollback_publishes_an_old_definition_as_a_new_version(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    await publish(client, owner, agent_id, "v1")
    changed = triage_definition(prompt="Label: {{start.output.body.text}}")
    await put_draft(client, owner, agent_id, changed)
    await publish(client, owner, agent_id, "v2")
    edited = triage_definition(prompt="Work in progress {{start.output.body.text}}")
    await put_draft(client, owner, agent_id, edited)
    revision = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()["draft_revision"]

    rolled = await client.post(f"/agents/{agent_id}/versions/1/rollback", json={}, headers=owner.headers)
    assert rolled.status_code == 201, rolled.text
    v3 = rolled.json()
    assert v3["number"] == 3 and v3["message"] == "Rollback to version 1"
    assert v3["definition"] == triage_definition()
    agent = await client.get(f"/agents/{agent_id}", headers=owner.headers)
    assert agent.json()["current_version"] == 3 and agent.json()["draft"] == triage_definition()
    assert agent.json()["draft_revision"] == revision + 1  # the draft changed: open editors must reload
    v1 = (await client.get(f"/agents/{agent_id}/versions/1", headers=owner.headers)).json()
    assert v3["checksum"] == v1["checksum"]

    same = await client.post(f"/agents/{agent_id}/versions/1/rollback", json={}, headers=owner.headers)
    assert same.status_code == 409 and same.json()["error"]["code"] == "nothing_to_publish"
    named = await client.post(
        f"/agents/{agent_id}/versions/2/rollback", json={"message": "v2 was fine"}, headers=owner.headers
    )
    assert named.json()["number"] == 4 and named.json()["message"] == "v2 was fine"
    missing = await client.post(f"/agents/{agent_id}/versions/42/rollback", json={}, headers=owner.headers)
    assert missing.status_code == 404


async def test_rollback_needs_no_body(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    await publish(client, owner, agent_id, "v1")
    await put_draft(client, owner, agent_id, triage_definition(prompt="Label: {{start.output.body.text}}"))
    await publish(client, owner, agent_id, "v2")
    rollback = f"/agents/{agent_id}/versions/{{}}/rollback"
    bare = await client.post(rollback.format(1), headers=owner.headers)
    assert bare.status_code == 201, bare.text
    assert bare.json()["message"] == "Rollback to version 1"
    empty_json = await client.post(
        rollback.format(2), content=b"", headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert empty_json.status_code == 201, empty_json.text
    assert empty_json.json()["message"] == "Rollback to version 2"
    named = await client.post(rollback.format(1), json={"message": "once more"}, headers=owner.headers)
    assert named.status_code == 201 and named.json()["message"] == "once more"
    wrong = await client.post(rollback.format(2), json={"message": 5}, headers=owner.headers)
    assert wrong.status_code == 422


async def test_numbers_beyond_the_columns_range_are_422_not_500(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    await publish(client, owner, agent_id, "v1")
    huge = 133858769981  # past Postgres' integer: once a 500 (an overflow inside the query)
    base = f"/agents/{agent_id}"
    for method, path in [
        ("GET", f"{base}/versions/{huge}"),
        ("POST", f"{base}/versions/{huge}/rollback"),
        ("GET", f"{base}/versions/1/diff/{huge}"),
        ("GET", f"{base}/versions/{huge}/diff/1"),
        ("GET", f"{base}/export?version={huge}"),
        ("GET", f"{base}/versions/0"),
    ]:
        response = await client.request(method, path, headers=owner.headers)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    # The largest number that fits is simply a version that does not exist.
    largest = 2_147_483_647
    assert (await client.get(f"{base}/versions/{largest}", headers=owner.headers)).status_code == 404
    assert (
        await client.post(f"{base}/versions/{largest}/rollback", headers=owner.headers)
    ).status_code == 404
    assert (await client.get(f"{base}/versions/1/diff/{largest}", headers=owner.headers)).status_code == 404
    assert (await client.get(f"{base}/export?version={largest}", headers=owner.headers)).status_code == 404

    # Log and event ids are bigint: `after` stops at its range too.
    token = (await client.get(base, headers=owner.headers)).json()["webhook_url"].rsplit("/", 1)[1]
    execution_id = (await client.post(f"/hooks/{token}", json={"text": "hi"})).json()["execution_id"]
    for feed in ("logs", "events"):
        path = f"/executions/{execution_id}/{feed}"
        beyond = await client.get(path, params={"after": 2**63}, headers=owner.headers)
        assert beyond.status_code == 422, beyond.text
        last = await client.get(path, params={"after": 2**63 - 1}, headers=owner.headers)
        assert last.status_code == 200 and last.json() == []
    sse = await client.get(
        f"/executions/{execution_id}/stream", headers={**owner.headers, "Last-Event-ID": str(2**63)}
    )
    assert sse.status_code == 422


async def test_diff_between_versions(client: httpx.AsyncClient, session: AsyncSession, owner: Member) -> None:
    agent_id = await create_agent(session, owner)
    await publish(client, owner, agent_id)
    draft = triage_definition(prompt="Label: {{start.output.body.text}}")
    draft["nodes"][0]["position"] = {"x": 10, "y": 20}
    draft["nodes"].append(
        {
            "id": "notify",
            "type": "action.webhook",
            "name": "Notify",
            "config": {"url": "https://hooks.test/x"},
        }
    )
    draft["edges"].append({"source": "classify", "target": "notify"})
    draft["settings"] = {"timeout_seconds": 60}
    await put_draft(client, owner, agent_id, draft)
    await publish(client, owner, agent_id)

    diff = await client.get(f"/agents/{agent_id}/versions/1/diff/2", headers=owner.headers)
    assert diff.status_code == 200
    assert diff.json() == {
        "from_version": 1,
        "to_version": 2,
        "nodes_added": ["notify"],
        "nodes_removed": [],
        "nodes_changed": [{"node_id": "classify", "fields": ["config.prompt"]}],
        "nodes_moved": ["start"],
        "edges_added": [{"source": "classify", "target": "notify", "source_handle": None}],
        "edges_removed": [],
        "settings_changed": ["timeout_seconds"],
    }
    backwards = (await client.get(f"/agents/{agent_id}/versions/2/diff/1", headers=owner.headers)).json()
    assert (
        backwards["nodes_removed"] == ["notify"] and backwards["edges_removed"] == diff.json()["edges_added"]
    )
    missing = await client.get(f"/agents/{agent_id}/versions/1/diff/7", headers=owner.headers)
    assert missing.status_code == 404


async def test_status_changes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    agent_id = await create_agent(session, owner)

    async def set_status(member: Member, value: str) -> httpx.Response:
        return await client.put(f"/agents/{agent_id}/status", json={"status": value}, headers=member.headers)

    unpublished = await set_status(editor, "active")
    assert unpublished.status_code == 409 and unpublished.json()["error"]["code"] == "not_published"
    assert (await set_status(editor, "paused")).status_code == 409
    await publish(client, editor, agent_id)
    paused = await set_status(editor, "paused")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    await put_draft(client, editor, agent_id, triage_definition(prompt="New {{start.output.body}}"))
    assert (await publish(client, editor, agent_id)).status_code == 201
    still = (await client.get(f"/agents/{agent_id}", headers=editor.headers)).json()
    assert still["status"] == "paused"  # publishing never resumes a paused agent
    assert (await set_status(editor, "active")).json()["status"] == "active"
    assert (await set_status(editor, "draft")).status_code == 409
    assert (await set_status(editor, "archived")).status_code == 403  # archiving is admin+
    archived = await set_status(owner, "archived")
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    assert (await set_status(editor, "active")).status_code == 403  # so is restoring
    assert (await set_status(owner, "paused")).json()["status"] == "paused"
    assert (await set_status(owner, "retired")).status_code == 422
