"""/org/secrets: values go into Vault and never come back out; another org's secrets are out of reach."""

from __future__ import annotations

import json
import logging
import urllib.parse
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.rbac import Role
from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore
from tests.factories import Member, add_member, create_org_with_owner
from tests.vault import read_env_value


def env_ref(org_id: uuid.UUID, name: str) -> SecretRef:
    return SecretRef(org_id=org_id, kind=SecretKind.env, name=name)


def secret_value() -> str:
    return f"sk-test-{uuid.uuid4().hex}"


async def create(
    client: httpx.AsyncClient, member: Member, name: str, value: str, **extra: str
) -> httpx.Response:
    return await client.post(
        "/org/secrets", json={"name": name, "value": value, **extra}, headers=member.headers
    )


async def test_write_read_rotate_delete(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    store: SecretStore = app.state.secret_store
    first, second = secret_value(), secret_value()

    created = await create(client, owner, "OPENAI_API_KEY", first, description="Support agent")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "OPENAI_API_KEY" and body["description"] == "Support agent"
    assert body["version"] == 1 and body["created_by"] == str(owner.user_id)
    assert "value" not in body and first not in created.text
    # The value is in Vault, at the org's path (the worker reads it there at run time: tests/engine).
    assert read_env_value(owner.org_id, "OPENAI_API_KEY") == first
    assert await store.read_value(env_ref(owner.org_id, "OPENAI_API_KEY")) == first

    listed = await client.get("/org/secrets", headers=owner.headers)
    assert [s["name"] for s in listed.json()["items"]] == ["OPENAI_API_KEY"]
    fetched = await client.get("/org/secrets/OPENAI_API_KEY", headers=owner.headers)
    assert fetched.status_code == 200 and fetched.json()["version"] == 1
    assert first not in listed.text and first not in fetched.text

    rotated = await client.put("/org/secrets/OPENAI_API_KEY", json={"value": second}, headers=owner.headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["version"] == 2 and rotated.json()["description"] == "Support agent"
    assert second not in rotated.text
    # The API's store cached the first value above; the rotation through it dropped that entry.
    assert await store.read_value(env_ref(owner.org_id, "OPENAI_API_KEY")) == second

    described = await client.put(
        "/org/secrets/OPENAI_API_KEY", json={"description": "Rotated"}, headers=owner.headers
    )
    assert described.json()["version"] == 2 and described.json()["description"] == "Rotated"
    assert read_env_value(owner.org_id, "OPENAI_API_KEY") == second

    deleted = await client.delete("/org/secrets/OPENAI_API_KEY", headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get("/org/secrets/OPENAI_API_KEY", headers=owner.headers)).status_code == 404
    assert read_env_value(owner.org_id, "OPENAI_API_KEY") is None
    assert await store.read_value(env_ref(owner.org_id, "OPENAI_API_KEY")) is None

    again = await create(client, owner, "OPENAI_API_KEY", first)
    assert again.status_code == 201 and again.json()["version"] == 1


async def test_duplicate_name_is_409(client: httpx.AsyncClient, owner: Member) -> None:
    assert (await create(client, owner, "DUPLICATE", secret_value())).status_code == 201
    response = await create(client, owner, "DUPLICATE", secret_value())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "secret_exists"


async def test_values_are_stored_byte_for_byte(client: httpx.AsyncClient, owner: Member) -> None:
    value = "  spaced\tvalue with ünïcode and a newline\n"
    assert (await create(client, owner, "EXACT", value)).status_code == 201
    assert read_env_value(owner.org_id, "EXACT") == value


@pytest.mark.parametrize("name", ["lower_case", "../ESCAPE", "A/B", "", "1STARTS_WITH_DIGIT", "A" * 129])
async def test_invalid_names_are_rejected(client: httpx.AsyncClient, owner: Member, name: str) -> None:
    response = await create(client, owner, name, "v")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith("Name ")


async def test_nothing_to_update_is_422(client: httpx.AsyncClient, owner: Member) -> None:
    await create(client, owner, "UNTOUCHED", "v")
    response = await client.put("/org/secrets/UNTOUCHED", json={}, headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "nothing_to_update"


async def test_list_pages_with_a_cursor(client: httpx.AsyncClient, owner: Member) -> None:
    for name in ("FIRST", "SECOND", "THIRD"):
        assert (await create(client, owner, name, secret_value())).status_code == 201
    page1 = (await client.get("/org/secrets?limit=2", headers=owner.headers)).json()
    assert [s["name"] for s in page1["items"]] == ["THIRD", "SECOND"]
    page2 = (
        await client.get(f"/org/secrets?limit=2&cursor={page1['next_cursor']}", headers=owner.headers)
    ).json()
    assert [s["name"] for s in page2["items"]] == ["FIRST"] and page2["next_cursor"] is None


async def test_editors_see_metadata_but_cannot_write(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    await create(client, owner, "SHARED", secret_value())
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    assert (await client.get("/org/secrets/SHARED", headers=editor.headers)).status_code == 200
    assert (await create(client, editor, "MINE", "v")).status_code == 403
    forbidden = await client.put("/org/secrets/SHARED", json={"value": "x"}, headers=editor.headers)
    assert forbidden.status_code == 403
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    assert (await client.get("/org/secrets", headers=viewer.headers)).status_code == 403


async def test_another_org_cannot_read_list_or_overwrite(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    value = secret_value()
    assert (await create(client, owner, "PAYMENTS_KEY", value)).status_code == 201
    other = await create_org_with_owner(session, settings, name="Org B")

    assert (await client.get("/org/secrets/PAYMENTS_KEY", headers=other.headers)).status_code == 404
    assert (await client.get("/org/secrets", headers=other.headers)).json()["items"] == []
    overwrite = await client.put("/org/secrets/PAYMENTS_KEY", json={"value": "stolen"}, headers=other.headers)
    assert overwrite.status_code == 404
    assert (await client.delete("/org/secrets/PAYMENTS_KEY", headers=other.headers)).status_code == 404
    # The same name in org B is org B's own secret, in org B's own Vault folder.
    assert (await create(client, other, "PAYMENTS_KEY", "org-b-value")).status_code == 201

    assert read_env_value(owner.org_id, "PAYMENTS_KEY") == value
    assert read_env_value(other.org_id, "PAYMENTS_KEY") == "org-b-value"
    store: SecretStore = app.state.secret_store
    assert await store.read_value(env_ref(owner.org_id, "PAYMENTS_KEY")) == value


async def raw_request(
    app: FastAPI, method: str, raw_path: str, headers: dict[str, str], body: Any
) -> tuple[int, str]:
    """Call the app with the path exactly as written, like `curl --path-as-is`: no client normalises `..`."""
    payload = json.dumps(body).encode() if body is not None else b""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": urllib.parse.unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode()


CRAFTED = [
    "..",
    ".",
    "../PAYMENTS_KEY",
    "../../{org}/env/PAYMENTS_KEY",
    "..%2f..%2f..%2forgs%2f{org}%2fenv%2fPAYMENTS_KEY",
    "%2e%2e",
    "%2E%2E",
    "..%2fPAYMENTS_KEY",
    "..%2F..%2F{org}%2Fenv%2FPAYMENTS_KEY",
    "%2e%2e%2f%2e%2e%2f{org}%2fenv%2fPAYMENTS_KEY",
    "..\\..\\{org}\\env\\PAYMENTS_KEY",
    "PAYMENTS_KEY%00",
    "PAYMENTS_KEY%2f..",
    "PAYMENTS_KEY%20",
    "payments_key",
    "{org}",
    "%252e%252e",
    "X" * 300,
]


@pytest.mark.parametrize("crafted", CRAFTED)
async def test_crafted_names_never_reach_another_orgs_secret(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    crafted: str,
) -> None:
    value = secret_value()
    assert (await create(client, owner, "PAYMENTS_KEY", value)).status_code == 201
    other = await create_org_with_owner(session, settings, name="Org B")
    path = "/api/v1/org/secrets/" + crafted.format(org=owner.org_id)

    for method, body in (("GET", None), ("PUT", {"value": "stolen"}), ("DELETE", None)):
        status, text = await raw_request(app, method, path, other.headers, body)
        # 404 whichever route the path reaches (or none); never the secret, never a change to it.
        assert status == 404, f"{method} {path}: {status} {text}"
        assert value not in text
    assert read_env_value(owner.org_id, "PAYMENTS_KEY") == value
    assert (await client.get("/org/secrets/PAYMENTS_KEY", headers=owner.headers)).json()["version"] == 1


async def test_values_never_reach_the_logs(
    client: httpx.AsyncClient, owner: Member, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = secret_value(), secret_value()
    with caplog.at_level(logging.DEBUG):
        await create(client, owner, "LOGGED", first)
        await client.put("/org/secrets/LOGGED", json={"value": second}, headers=owner.headers)
        await create(client, owner, "LOGGED", first)  # a 409 carries no value either
        await client.delete("/org/secrets/LOGGED", headers=owner.headers)
    assert caplog.records, "expected the secret service to log its actions"
    for record in caplog.records:
        text = f"{record.getMessage()} {vars(record)}"
        assert first not in text and second not in text
