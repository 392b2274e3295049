"""Slack events and GitHub webhooks at an agent's hook URL: each provider's signature verified the way it
signs (slack_sdk signs the Slack side here), challenges and pings answered, events filtered, repeats run
once. Runs stay queued (no worker serves the API tests' pool)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.models import Execution
from tests.factories import Member

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
GITHUB_SECRET = "github-webhook-secret"
JSON = {"Content-Type": "application/json"}


def trigger_definition(**config: Any) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger", "name": "start", "config": {"kind": "integration", **config}}
        ],
        "edges": [],
    }


async def publish(client: httpx.AsyncClient, owner: Member, definition: dict[str, Any]) -> httpx.Response:
    created = await client.post(
        "/agents",
        json={"name": f"events {uuid.uuid4().hex[:6]}", "definition": definition},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    return await client.post(f"/agents/{created.json()['id']}/publish", json={}, headers=owner.headers)


async def hook_agent(client: httpx.AsyncClient, owner: Member, **config: Any) -> tuple[str, str]:
    """A published agent with this integration trigger: its id and hook token."""
    for name, value in (("SLACK_SIGNING", SLACK_SECRET), ("GITHUB_HOOK", GITHUB_SECRET)):
        stored = await client.post("/org/secrets", json={"name": name, "value": value}, headers=owner.headers)
        assert stored.status_code in (201, 409), stored.text
    published = await publish(client, owner, trigger_definition(**config))
    assert published.status_code == 201, published.text
    agent_id = str(published.json()["agent_id"])
    url = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()["webhook_url"]
    assert url is not None, "integration agents get a hook URL at publish"
    return agent_id, url.rsplit("/", 1)[1]


@pytest.fixture
async def slack(client: httpx.AsyncClient, owner: Member) -> tuple[str, str]:
    return await hook_agent(
        client, owner, integration="slack", event="app_mention", signing_secret="SLACK_SIGNING"
    )


@pytest.fixture
async def github(client: httpx.AsyncClient, owner: Member) -> tuple[str, str]:
    return await hook_agent(
        client, owner, integration="github", event="issues.opened", signing_secret="GITHUB_HOOK"
    )


def slack_headers(
    body: bytes, *, at: float | None = None, secret: str = SLACK_SECRET, retry: int | None = None
) -> dict[str, str]:
    """Headers as Slack sends them, signed with slack_sdk's own signature code."""
    timestamp = str(int(time.time() if at is None else at))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers = {**JSON, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


def slack_event(event_type: str = "app_mention", *, event_id: str = "Ev08MFMKH6") -> bytes:
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {
                "type": event_type,
                "user": "U061F7AUR",
                "text": "<@U0LAN0Z89> is it everything?",
                "channel": "C0LAN2Q65",
                "ts": "1515449522.000016",
            },
        }
    ).encode()


def github_headers(
    body: bytes, event: str, *, delivery: str | None = None, secret: str = GITHUB_SECRET
) -> dict[str, str]:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        **JSON,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "292430182",
        "X-Hub-Signature-256": signature,
        "User-Agent": "GitHub-Hookshot/044aadd",
    }


def issue_event(action: str = "opened") -> bytes:
    return json.dumps(
        {
            "action": action,
            "issue": {"number": 1347, "title": "Found a bug"},
            "repository": {"full_name": "octo/hello"},
        }
    ).encode()


async def post(client: httpx.AsyncClient, token: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post(f"/hooks/{token}", content=body, headers=headers)


async def executions(session: AsyncSession, agent_id: str) -> list[Execution]:
    found = await session.execute(select(Execution).where(Execution.agent_id == uuid.UUID(agent_id)))
    return list(found.scalars())


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    return str(response.json()["error"]["message"])


async def test_slack_url_verification_is_answered_only_when_signed(
    client: httpx.AsyncClient, session: AsyncSession, slack: tuple[str, str]
) -> None:
    agent_id, token = slack
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    answered = await post(client, token, body, slack_headers(body))
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    refused(
        await post(client, token, body, slack_headers(body, secret="not-the-secret")),
        401,
        "invalid_signature",
    )
    refused(await post(client, token, body, JSON), 401, "invalid_signature")
    assert await executions(session, agent_id) == []


async def test_a_signed_slack_event_runs_once_however_often_slack_retries(
    client: httpx.AsyncClient, session: AsyncSession, slack: tuple[str, str]
) -> None:
    agent_id, token = slack
    body = slack_event()
    accepted = await post(client, token, body, slack_headers(body))
    assert accepted.status_code == 202, accepted.text
    # Slack retries with a fresh timestamp and signature; the event id is what repeats.
    for attempt in (1, 2):
        retried = await post(
            client, token, body, slack_headers(body, at=time.time() + attempt, retry=attempt)
        )
        assert retried.status_code == 200, retried.text
        assert retried.json()["duplicate"] is True
    runs = await executions(session, agent_id)
    assert [run.id for run in runs] == [uuid.UUID(accepted.json()["execution_id"])]
    run_input = runs[0].input
    assert run_input["body"]["event"]["text"] == "<@U0LAN0Z89> is it everything?"
    assert run_input["headers"]["x-slack-request-timestamp"] and run_input["query"] == {}
    assert runs[0].triggered_by == "webhook"
    other = slack_event(event_id="Ev_other")
    assert (await post(client, token, other, slack_headers(other))).status_code == 202


async def test_slack_wrong_or_stale_signatures_are_401(
    client: httpx.AsyncClient, session: AsyncSession, slack: tuple[str, str]
) -> None:
    agent_id, token = slack
    body = slack_event()
    tampered = body.replace(b"everything", b"anything")
    assert "Wrong X-Slack-Signature" in refused(
        await post(client, token, tampered, slack_headers(body)), 401, "invalid_signature"
    )
    stale = slack_headers(body, at=time.time() - 6 * 60)
    assert "too old" in refused(await post(client, token, body, stale), 401, "invalid_signature")
    ahead = slack_headers(body, at=time.time() + 6 * 60)
    assert "too new" in refused(await post(client, token, body, ahead), 401, "invalid_signature")
    garbled = {**slack_headers(body), "X-Slack-Request-Timestamp": "yesterday"}
    refused(await post(client, token, body, garbled), 401, "invalid_signature")
    assert await executions(session, agent_id) == []


async def test_slack_events_the_trigger_does_not_listen_to_start_nothing(
    client: httpx.AsyncClient, session: AsyncSession, slack: tuple[str, str]
) -> None:
    agent_id, token = slack
    body = slack_event("message", event_id="Ev_message")
    ignored = await post(client, token, body, slack_headers(body))
    assert ignored.status_code == 200 and "ignored" in ignored.json()
    assert await executions(session, agent_id) == []


async def test_a_slack_trigger_without_event_takes_every_event(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id, token = await hook_agent(client, owner, integration="slack", signing_secret="SLACK_SIGNING")
    for event_type in ("message", "reaction_added"):
        body = slack_event(event_type, event_id=f"Ev_{event_type}")
        assert (await post(client, token, body, slack_headers(body))).status_code == 202
    assert len(await executions(session, agent_id)) == 2


async def test_a_github_ping_is_answered_and_filtered_events_start_nothing(
    client: httpx.AsyncClient, session: AsyncSession, github: tuple[str, str]
) -> None:
    agent_id, token = github
    ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 292430182}).encode()
    answered = await post(client, token, ping, github_headers(ping, "ping"))
    assert answered.status_code == 200 and answered.json()["ping"] is True
    closed = issue_event("closed")
    assert (await post(client, token, closed, github_headers(closed, "issues"))).json()["ok"] is True
    pull = json.dumps({"action": "opened", "number": 2}).encode()
    assert "ignored" in (await post(client, token, pull, github_headers(pull, "pull_request"))).json()
    assert await executions(session, agent_id) == []


async def test_a_signed_github_event_runs_once_per_delivery(
    client: httpx.AsyncClient, session: AsyncSession, github: tuple[str, str]
) -> None:
    agent_id, token = github
    body = issue_event()
    headers = github_headers(body, "issues", delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    accepted = await post(client, token, body, headers)
    assert accepted.status_code == 202, accepted.text
    redelivered = await post(client, token, body, headers)
    assert redelivered.status_code == 200 and redelivered.json()["duplicate"] is True
    runs = await executions(session, agent_id)
    assert len(runs) == 1
    assert runs[0].input["body"]["issue"]["title"] == "Found a bug"
    assert runs[0].input["headers"]["x-github-event"] == "issues"


async def test_github_form_encoded_payloads_are_read(
    client: httpx.AsyncClient, session: AsyncSession, github: tuple[str, str]
) -> None:
    agent_id, token = github
    body = urlencode({"payload": issue_event().decode()}).encode()
    headers = {**github_headers(body, "issues"), "Content-Type": "application/x-www-form-urlencoded"}
    assert (await post(client, token, body, headers)).status_code == 202
    assert (await executions(session, agent_id))[0].input["body"]["action"] == "opened"


async def test_github_wrong_or_missing_signatures_are_401(
    client: httpx.AsyncClient, session: AsyncSession, github: tuple[str, str]
) -> None:
    agent_id, token = github
    body = issue_event()
    wrong = github_headers(body, "issues", secret="guessed")
    assert "Wrong X-Hub-Signature-256" in refused(
        await post(client, token, body, wrong), 401, "invalid_signature"
    )
    unsigned = {k: v for k, v in github_headers(body, "issues").items() if k != "X-Hub-Signature-256"}
    assert "Missing" in refused(await post(client, token, body, unsigned), 401, "invalid_signature")
    # A ping is answered only once signed, too.
    ping = b'{"zen": "x"}'
    refused(
        await post(client, token, ping, github_headers(ping, "ping", secret="guessed")),
        401,
        "invalid_signature",
    )
    assert await executions(session, agent_id) == []


async def test_an_unset_signing_secret_fails_closed(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    published = await publish(
        client, owner, trigger_definition(integration="github", signing_secret="NEVER_STORED")
    )
    assert published.status_code == 201, published.text
    agent_id = str(published.json()["agent_id"])
    token = (
        (await client.get(f"/agents/{agent_id}", headers=owner.headers))
        .json()["webhook_url"]
        .rsplit("/", 1)[1]
    )
    body = issue_event()
    refused(await post(client, token, body, github_headers(body, "issues")), 401, "invalid_signature")
    assert await executions(session, agent_id) == []


async def test_publishing_needs_a_signing_secret_and_a_supported_integration(
    client: httpx.AsyncClient, owner: Member
) -> None:
    unsigned = await publish(client, owner, trigger_definition(integration="slack", event="message"))
    assert unsigned.status_code == 422, unsigned.text
    assert "start" in unsigned.text and "signing_secret" in unsigned.text
    unknown = await publish(client, owner, trigger_definition(integration="jira", signing_secret="X"))
    assert unknown.status_code == 422, unknown.text
    assert "sends no events" in unknown.text


async def test_a_body_over_the_api_limit_is_413(
    client: httpx.AsyncClient, session: AsyncSession, slack: tuple[str, str]
) -> None:
    agent_id, token = slack
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev_big",
            "event": {"type": "app_mention", "text": "x" * 1_200_000},
        }
    ).encode()
    too_big = await post(client, token, body, slack_headers(body))
    assert too_big.status_code == 413, too_big.text
    assert await executions(session, agent_id) == []


async def test_a_payload_that_does_not_match_the_input_schema_is_422(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    schema = {
        "type": "object",
        "required": ["event"],
        "properties": {"event": {"type": "object", "required": ["channel"]}},
    }
    agent_id, token = await hook_agent(
        client, owner, integration="slack", signing_secret="SLACK_SIGNING", input_schema=schema
    )
    body = json.dumps(
        {"type": "event_callback", "event_id": "Ev_nochannel", "event": {"type": "app_mention"}}
    ).encode()
    refused(await post(client, token, body, slack_headers(body)), 422, "invalid_input")
    assert await executions(session, agent_id) == []
