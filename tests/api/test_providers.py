"""Org provider settings: the key goes to Vault and never comes back; the check makes a real call."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from agentflow.ai.wiring import provider_ref
from agentflow.config import Settings
from agentflow.egress import EgressPolicy
from agentflow.secrets.store import SecretStore
from tests.factories import Member, create_org_with_owner
from tests.fakes.loopback import FakeAPI, LoopbackServer
from tests.fakes.openai_wire import completion, error, openai_api


@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeAPI, str]]:
    api = openai_api("/v1")
    server = LoopbackServer(api.app).start()
    yield api, server.url + "/v1"
    server.stop()


async def test_provider_settings_round_trip_without_the_key(
    client: httpx.AsyncClient, owner: Member, settings: Settings, fake_openai: tuple[FakeAPI, str]
) -> None:
    api, base_url = fake_openai
    put = await client.post(
        "/org/providers",
        json={
            "provider": "openai",
            "api_key": "sk-test-very-secret",
            "base_url": base_url,
            "default_model": "gpt-4o-mini",
        },
        headers=owner.headers,
    )
    assert put.status_code == 200, put.text
    assert "sk-test-very-secret" not in put.text
    listed = await client.get("/org/providers", headers=owner.headers)
    assert listed.json() == [
        {
            "provider": "openai",
            "base_url": base_url,
            "default_model": "gpt-4o-mini",
            "has_api_key": True,
            "updated_at": listed.json()[0]["updated_at"],
        }
    ]
    assert "sk-test-very-secret" not in listed.text
    stored = await SecretStore.from_settings(settings).read(provider_ref(owner.org_id, "openai"))
    assert stored is not None and stored["api_key"] == "sk-test-very-secret"

    api.enqueue(completion("OK", prompt_tokens=5, completion_tokens=1))
    checked = await client.post("/org/providers/openai/test", headers=owner.headers)
    assert checked.status_code == 200
    assert checked.json()["ok"] is True
    assert api.last.header("authorization") == "Bearer sk-test-very-secret"

    api.enqueue(error(401, "Incorrect API key provided: sk-tes***"))
    refused = await client.post("/org/providers/openai/test", headers=owner.headers)
    assert refused.json()["ok"] is False
    assert "Incorrect API key provided" in refused.json()["message"]

    assert (await client.delete("/org/providers/openai", headers=owner.headers)).status_code == 204
    assert (await client.get("/org/providers", headers=owner.headers)).json() == []
    assert await SecretStore.from_settings(settings).read(provider_ref(owner.org_id, "openai")) is None
    assert (await client.post("/org/providers/openai/test", headers=owner.headers)).status_code == 404


async def test_other_orgs_never_see_provider_settings(
    client: httpx.AsyncClient, owner: Member, session: object, settings: Settings
) -> None:
    await client.post("/org/providers", json={"provider": "anthropic", "api_key": "k"}, headers=owner.headers)
    other = await create_org_with_owner(session, settings, name="Elsewhere")  # type: ignore[arg-type]
    assert (await client.get("/org/providers", headers=other.headers)).json() == []
    assert (await client.post("/org/providers/anthropic/test", headers=other.headers)).status_code == 404


async def test_unknown_provider_is_422(client: httpx.AsyncClient, owner: Member) -> None:
    response = await client.post(
        "/org/providers", json={"provider": "skynet", "api_key": "x"}, headers=owner.headers
    )
    assert response.status_code == 422


async def test_a_private_base_url_is_refused_unless_the_operator_allows_it(
    app: FastAPI, client: httpx.AsyncClient, owner: Member, fake_openai: tuple[FakeAPI, str]
) -> None:
    """The provider check is an outbound call like any other: the same egress guard applies."""
    api, base_url = fake_openai
    body = {"provider": "openai", "api_key": "sk-x", "base_url": base_url, "default_model": "gpt-4o-mini"}
    assert (await client.post("/org/providers", json=body, headers=owner.headers)).status_code == 200
    app.state.egress = EgressPolicy.build("")  # the default: no private destinations
    checked = await client.post("/org/providers/openai/test", headers=owner.headers)
    assert checked.status_code == 200
    assert checked.json()["ok"] is False
    assert "private or local address" in checked.json()["message"]
    assert api.requests == []
    ollama = await client.post(
        "/org/providers", json={"provider": "ollama", "default_model": "llama3.1"}, headers=owner.headers
    )
    assert ollama.status_code == 200
    default_address = await client.post("/org/providers/ollama/test", headers=owner.headers)
    assert "AGENTFLOW_EGRESS_ALLOWLIST" in default_address.json()["message"]


@pytest.mark.parametrize("provider", ["google", "openai", "anthropic"])
async def test_a_hosted_provider_without_an_api_key_checks_as_not_ok(
    client: httpx.AsyncClient, owner: Member, provider: str
) -> None:
    put = await client.post("/org/providers", json={"provider": provider}, headers=owner.headers)
    assert put.status_code == 200, put.text
    assert put.json()["has_api_key"] is False
    checked = await client.post(f"/org/providers/{provider}/test", headers=owner.headers)
    assert checked.status_code == 200, checked.text
    assert checked.json()["ok"] is False
    assert checked.json()["message"] == f"no API key is set for {provider}: add one to its provider settings"


async def test_saving_without_a_key_keeps_the_stored_one_and_an_empty_key_removes_it(
    client: httpx.AsyncClient, owner: Member, settings: Settings
) -> None:
    first = {"provider": "anthropic", "api_key": "sk-ant-kept", "default_model": "claude-haiku-4-5"}
    assert (await client.post("/org/providers", json=first, headers=owner.headers)).status_code == 200
    changed = await client.post(
        "/org/providers",
        json={"provider": "anthropic", "default_model": "claude-sonnet-4-5"},
        headers=owner.headers,
    )
    assert changed.json()["has_api_key"] is True
    assert changed.json()["default_model"] == "claude-sonnet-4-5"
    stored = await SecretStore.from_settings(settings).read(provider_ref(owner.org_id, "anthropic"))
    assert stored is not None and stored["api_key"] == "sk-ant-kept"

    cleared = await client.post(
        "/org/providers", json={"provider": "anthropic", "api_key": ""}, headers=owner.headers
    )
    assert cleared.json()["has_api_key"] is False
    too_long = await client.post(
        "/org/providers", json={"provider": "anthropic", "api_key": "k" * 1001}, headers=owner.headers
    )
    assert too_long.status_code == 422
