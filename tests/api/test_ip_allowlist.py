"""An org's IP allowlist: requests from elsewhere are refused, a list that would lock out its author is
refused, and X-Forwarded-For is believed only from the operator's trusted proxies."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.gate.gate import request_gate
from agentflow.gate.network import client_address, contains, normalise, parse_networks
from agentflow.models import Execution, Organization
from tests.factories import Member, create_agent, create_api_key, triage_definition

# httpx's ASGI transport calls from 127.0.0.1.


async def _set_allowlist(session: AsyncSession, member: Member, networks: list[str]) -> None:
    await session.execute(
        update(Organization)
        .where(Organization.id == member.org_id)
        .values(settings={"ip_allowlist": networks})
    )


async def test_requests_from_outside_the_allowlist_are_refused(
    client: httpx.AsyncClient, owner: Member, session: AsyncSession
) -> None:
    saved = await client.put(
        "/org", json={"settings": {"ip_allowlist": ["127.0.0.1", "2001:db8::/32"]}}, headers=owner.headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"]["ip_allowlist"] == ["127.0.0.1/32", "2001:db8::/32"]
    assert (await client.get("/org", headers=owner.headers)).status_code == 200

    await _set_allowlist(session, owner, ["203.0.113.0/24"])
    refused = await client.get("/org", headers=owner.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ip_not_allowed"
    assert "127.0.0.1" in refused.json()["error"]["message"]
    key = await create_api_key(session, owner)
    by_key = await client.get("/agents", headers={"X-API-Key": key})
    assert by_key.status_code == 403 and by_key.json()["error"]["code"] == "ip_not_allowed"


async def test_a_list_that_excludes_the_caller_is_refused_and_nothing_is_saved(
    client: httpx.AsyncClient, owner: Member
) -> None:
    refused = await client.put(
        "/org", json={"settings": {"ip_allowlist": ["203.0.113.0/24"]}}, headers=owner.headers
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "would_lock_out"
    assert refused.json()["error"]["details"]["your_ip"] == "127.0.0.1"
    org = (await client.get("/org", headers=owner.headers)).json()
    assert "ip_allowlist" not in org["settings"]
    # An empty list allows every address again.
    cleared = await client.put("/org", json={"settings": {"ip_allowlist": []}}, headers=owner.headers)
    assert cleared.status_code == 200


@pytest.mark.parametrize(
    "entries",
    [["not-an-ip"], ["10.0.0.0/33"], ["x" * 65], ["10.0.0.1"] * 201, "10.0.0.0/8"],
)
async def test_invalid_allowlists_are_422(client: httpx.AsyncClient, owner: Member, entries: object) -> None:
    answer = await client.put("/org", json={"settings": {"ip_allowlist": entries}}, headers=owner.headers)
    assert answer.status_code == 422, answer.text


async def test_forwarded_for_counts_only_from_trusted_proxies(
    app: FastAPI, client: httpx.AsyncClient, owner: Member, session: AsyncSession
) -> None:
    await _set_allowlist(session, owner, ["203.0.113.0/24"])
    spoofed = {**owner.headers, "X-Forwarded-For": "203.0.113.9"}
    # The test client is no trusted proxy: what it claims is ignored.
    assert (await client.get("/org", headers=spoofed)).status_code == 403
    app.state.gate = request_gate(
        app.state.settings.model_copy(update={"trusted_proxies": "127.0.0.0/8"}), lambda: app.state.reader
    )
    assert (await client.get("/org", headers=spoofed)).status_code == 200
    # A client prepending an allowed address to the chain gains nothing: the right-most untrusted hop counts.
    chained = {**owner.headers, "X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    assert (await client.get("/org", headers=chained)).status_code == 403


def test_client_address_rules() -> None:
    trusted = parse_networks(["10.0.0.0/8", "fd00::/8"])
    assert client_address("10.1.1.1", "198.51.100.7", trusted) == "198.51.100.7"
    assert client_address("10.1.1.1", "198.51.100.7, 10.2.2.2", trusted) == "198.51.100.7"
    assert client_address("198.51.100.8", "203.0.113.9", trusted) == "198.51.100.8"
    assert client_address("10.1.1.1", "garbage", trusted) == "10.1.1.1"
    assert client_address("fd00::1", "2001:db8::5", trusted) == "2001:db8::5"
    assert client_address(None, None, trusted) == "unknown"
    assert contains(parse_networks(["203.0.113.0/24"]), "::ffff:203.0.113.7")
    assert not contains(parse_networks(["203.0.113.0/24"]), "2001:db8::1")
    assert normalise(["203.0.113.7/24", "203.0.113.0/24", "2001:DB8::/32"]) == [
        "203.0.113.0/24",
        "2001:db8::/32",
    ]


async def test_a_webhook_trigger_takes_deliveries_only_from_its_allowed_ips(
    app: FastAPI, client: httpx.AsyncClient, owner: Member, session: AsyncSession
) -> None:
    definition = triage_definition()
    definition["nodes"][0]["config"]["allowed_ips"] = ["192.30.252.0/22", "2a0a:a440::/29"]
    agent_id = await create_agent(session, owner, definition=definition)
    assert (
        await client.post(f"/agents/{agent_id}/publish", json={}, headers=owner.headers)
    ).status_code == 201
    token = (
        (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()["webhook_url"].rsplit("/")[-1]
    )

    refused = await client.post(f"/hooks/{token}", json={"text": "from the test client"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "ip_not_allowed"
    assert await session.scalar(select(func.count()).where(Execution.agent_id == agent_id)) == 0
    # Behind a trusted proxy, the forwarded address of the provider is what counts.
    app.state.gate = request_gate(
        app.state.settings.model_copy(update={"trusted_proxies": "127.0.0.0/8"}), lambda: app.state.reader
    )
    forwarded = await client.post(
        f"/hooks/{token}", json={"text": "from github"}, headers={"X-Forwarded-For": "192.30.252.41"}
    )
    assert forwarded.status_code == 202, forwarded.text
    # The org's own allowlist does not apply to webhooks: they authenticate by URL (and signature).
    await _set_allowlist(session, owner, ["203.0.113.0/24"])
    again = await client.post(
        f"/hooks/{token}", json={"text": "again"}, headers={"X-Forwarded-For": "2a0a:a440::1"}
    )
    assert again.status_code == 202, again.text


@pytest.mark.parametrize("entries", [["not-an-ip"], ["10.0.0.0/33"], ["1.2.3.4"] * 201])
async def test_an_invalid_trigger_allowlist_is_a_draft_error_and_cannot_be_published(
    client: httpx.AsyncClient, owner: Member, entries: list[str]
) -> None:
    definition = triage_definition()
    definition["nodes"][0]["config"]["allowed_ips"] = entries
    saved = await client.post("/agents", json={"name": "x", "definition": definition}, headers=owner.headers)
    assert saved.status_code == 201, saved.text
    [error] = saved.json()["validation"]["errors"]
    assert error["field"] == "config.allowed_ips" and not saved.json()["publishable"]
    published = await client.post(f"/agents/{saved.json()['id']}/publish", json={}, headers=owner.headers)
    assert published.status_code == 422 and published.json()["error"]["code"] == "invalid_definition"
