"""Export and import: YAML and JSON files that round-trip exactly, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.graph import dump_yaml, load_yaml
from tests.factories import Member, create_agent, triage_definition

TRIAGE_YAML = Path(__file__).parents[1] / "agentflow" / "graph" / "data" / "support_triage.yaml"


def document_yaml() -> str:
    """A realistic document as someone would write it: unicode, `no` as a label, a block prompt, a schema
    whose property order is the run form's order."""
    definition = load_yaml(TRIAGE_YAML.read_text(encoding="utf-8"))
    return dump_yaml(
        {
            "name": "Support triage",
            "description": "Tickets → answers",
            "tags": ["support"],
            "definition": definition,
        }
    )


async def export(client: httpx.AsyncClient, member: Member, agent_id: str, **params: Any) -> httpx.Response:
    response = await client.get(f"/agents/{agent_id}/export", params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    return response


async def test_yaml_round_trips_exactly(client: httpx.AsyncClient, owner: Member) -> None:
    text = document_yaml()
    imported = await client.post(
        "/agents/import", content=text.encode(), headers={**owner.headers, "Content-Type": "application/yaml"}
    )
    assert imported.status_code == 201, imported.text
    agent = imported.json()
    assert agent["name"] == "Support triage" and agent["status"] == "draft"
    properties = agent["draft"]["nodes"][0]["config"]["input_schema"]["properties"]
    assert list(properties) == ["title", "text", "customer"]  # key order as written

    exported = await export(client, owner, agent["id"])
    assert exported.text == text
    assert exported.headers["content-type"] == "application/yaml; charset=utf-8"
    assert exported.headers["content-disposition"] == 'attachment; filename="support-triage.yaml"'

    again = await client.post(
        "/agents/import", content=exported.content, headers={**owner.headers, "Content-Type": "text/yaml"}
    )
    assert (await export(client, owner, again.json()["id"])).text == text


async def test_json_round_trips_exactly(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    draft = triage_definition(prompt="Classez ce ticket : {{start.output.body.text}}")
    draft["nodes"][0]["position"] = {"x": 0, "y": 12.5}
    agent_id = await create_agent(session, owner, name="Tri des tickets", definition=draft, tags=["fr"])
    exported = await export(client, owner, str(agent_id), format="json")
    assert exported.headers["content-type"] == "application/json; charset=utf-8"
    assert exported.headers["content-disposition"] == 'attachment; filename="tri-des-tickets.json"'
    document = json.loads(exported.text)
    assert document == {"name": "Tri des tickets", "description": "", "tags": ["fr"], "definition": draft}
    assert "Classez" in exported.text and "\\u" not in exported.text

    imported = await client.post("/agents/import", content=exported.content, headers=owner.headers)
    assert imported.status_code == 201, imported.text
    assert (await export(client, owner, imported.json()["id"], format="json")).text == exported.text

    as_body = await client.post("/agents/import", json=document, headers=owner.headers)
    assert (await export(client, owner, as_body.json()["id"], format="json")).text == exported.text


async def test_import_a_file_upload(client: httpx.AsyncClient, owner: Member) -> None:
    text = document_yaml()
    uploaded = await client.post(
        "/agents/import",
        files={"file": ("triage.yaml", text.encode(), "application/octet-stream")},
        headers=owner.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert (await export(client, owner, uploaded.json()["id"])).text == text

    as_json = json.dumps(load_yaml(text), ensure_ascii=False).encode()
    uploaded_json = await client.post(
        "/agents/import", files={"file": ("triage.json", as_json, "application/json")}, headers=owner.headers
    )
    assert uploaded_json.status_code == 201
    wrong_field = await client.post(
        "/agents/import", files={"document": ("triage.yaml", text.encode())}, headers=owner.headers
    )
    assert wrong_field.status_code == 422 and "'file'" in wrong_field.json()["error"]["message"]


async def test_export_a_published_version(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    await client.post(f"/agents/{agent_id}/publish", json={}, headers=owner.headers)
    etag = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).headers["ETag"]
    new_draft = triage_definition(prompt="Draft only {{start.output.body}}")
    await client.put(
        f"/agents/{agent_id}", json={"definition": new_draft}, headers={**owner.headers, "If-Match": etag}
    )
    draft_doc = load_yaml((await export(client, owner, str(agent_id))).text)
    version_doc = load_yaml((await export(client, owner, str(agent_id), version=1)).text)
    assert draft_doc["definition"] == new_draft and version_doc["definition"] == triage_definition()
    missing = await client.get(f"/agents/{agent_id}/export", params={"version": 5}, headers=owner.headers)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("content_type", "body", "line", "column"),
    [
        ("application/yaml", "name: Broken\ndefinition:\n  nodes: [\n    {id: start\n", 5, 1),
        ("application/yaml", "name: Dup\nname: Again\ndefinition: {}\n", 2, 1),
        ("application/json", '{"name": "Broken",\n "definition": {]}', 2, 17),
    ],
)
async def test_malformed_files_are_400_with_line_and_column(
    client: httpx.AsyncClient, owner: Member, content_type: str, body: str, line: int, column: int
) -> None:
    response = await client.post(
        "/agents/import", content=body.encode(), headers={**owner.headers, "Content-Type": content_type}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "malformed_document"
    assert (error["details"]["line"], error["details"]["column"]) == (line, column)
    assert f"line {line}, column {column}" in error["message"]


async def test_bad_documents_are_refused(client: httpx.AsyncClient, owner: Member) -> None:
    yaml_headers = {**owner.headers, "Content-Type": "application/yaml"}
    unknown = await client.post(
        "/agents/import", content=b"name: X\ncolour: red\ndefinition: {nodes: []}\n", headers=yaml_headers
    )
    assert unknown.status_code == 422 and "colour" in unknown.text
    missing_name = await client.post(
        "/agents/import", content=b"definition: {nodes: []}\n", headers=yaml_headers
    )
    assert missing_name.status_code == 422 and missing_name.json()["error"]["message"] == "Name is required"
    bad_definition = await client.post(
        "/agents/import",
        content=b"name: X\ndefinition: {nodes: [{id: start, type: warp}]}\n",
        headers=yaml_headers,
    )
    assert bad_definition.status_code == 422
    assert bad_definition.json()["error"]["code"] == "invalid_definition"
    assert "unknown node type 'warp'" in bad_definition.json()["error"]["message"]
    not_a_mapping = await client.post("/agents/import", content=b"- just\n- a list\n", headers=yaml_headers)
    assert not_a_mapping.status_code == 400
    xml = await client.post(
        "/agents/import", content=b"<agent/>", headers={**owner.headers, "Content-Type": "application/xml"}
    )
    assert xml.status_code == 415 and xml.json()["error"]["code"] == "unsupported_media_type"
    not_utf8 = await client.post("/agents/import", content="name: é".encode("latin-1"), headers=yaml_headers)
    assert not_utf8.status_code == 400
    nan = await client.post(
        "/agents/import",
        content=b'{"name": "X", "definition": {"nodes": [], "settings": {"timeout_seconds": NaN}}}',
        headers=owner.headers,
    )
    assert nan.status_code == 422 and "settings.timeout_seconds" in nan.json()["error"]["message"]
    listed = await client.get("/agents", headers=owner.headers)
    assert listed.json()["items"] == []
