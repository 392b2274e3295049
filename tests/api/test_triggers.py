"""Starting an agent from the API and from its webhook: which agents may run, the Idempotency-Key, the
trigger's input_schema. Runs stay queued (no worker serves the API tests' pool); what is asserted is the
answer and the executions rows."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.models import Execution
from tests.factories import Member, create_agent, triage_definition


async def executions_of(session: AsyncSession, agent_id: uuid.UUID) -> list[Execution]:
    # The request committed its own savepoint: read what is in the database, not the identity map.
    session.expire_all()
    return list(
        await session.scalars(
            select(Execution).where(Execution.agent_id == agent_id).order_by(Execution.created_at)
        )
    )


async def count(session: AsyncSession, agent_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(Execution.agent_id == agent_id)) or 0)


async def published(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, definition: dict[str, Any] | None = None
) -> uuid.UUID:
    agent_id = await create_agent(session, owner, definition=definition)
    answer = await client.post(f"/agents/{agent_id}/publish", json={}, headers=owner.headers)
    assert answer.status_code == 201, answer.text
    return agent_id


async def set_status(client: httpx.AsyncClient, owner: Member, agent_id: uuid.UUID, status: str) -> None:
    answer = await client.put(f"/agents/{agent_id}/status", json={"status": status}, headers=owner.headers)
    assert answer.status_code == 200, answer.text


async def webhook_token(client: httpx.AsyncClient, owner: Member, agent_id: uuid.UUID) -> str:
    url = (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()["webhook_url"]
    return str(url.rsplit("/", 1)[1])


def conflict(response: httpx.Response, code: str) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == code


async def test_execute_refuses_unpublished_paused_and_archived_agents_with_409(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    execute = f"/agents/{agent_id}/execute"
    test = f"/agents/{agent_id}/test"
    body = {"input": {"text": "hello"}}

    unpublished = await client.post(execute, json=body, headers=owner.headers)
    conflict(unpublished, "not_published")
    assert "Publish the agent" in unpublished.json()["error"]["message"]
    assert (await client.post(test, json=body, headers=owner.headers)).status_code == 202

    assert (
        await client.post(f"/agents/{agent_id}/publish", json={}, headers=owner.headers)
    ).status_code == 201
    assert (await client.post(execute, json=body, headers=owner.headers)).status_code == 202

    await set_status(client, owner, agent_id, "paused")
    paused = await client.post(execute, json=body, headers=owner.headers)
    conflict(paused, "agent_paused")
    assert "paused" in paused.json()["error"]["message"]
    # Building goes on while the agent is switched off: its draft can still be tested.
    assert (await client.post(test, json=body, headers=owner.headers)).status_code == 202

    assert (await client.delete(f"/agents/{agent_id}", headers=owner.headers)).status_code == 204
    conflict(await client.post(execute, json=body, headers=owner.headers), "agent_archived")
    conflict(await client.post(test, json=body, headers=owner.headers), "agent_archived")

    # Only the three accepted requests (two test runs, one execute) left a row.
    assert sorted(e.triggered_by for e in await executions_of(session, agent_id)) == [
        "manual",
        "test",
        "test",
    ]


async def test_a_repeated_idempotency_key_answers_with_the_first_execution_even_once_paused(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await published(client, session, owner)
    key = {**owner.headers, "Idempotency-Key": "order-7"}
    first = await client.post(f"/agents/{agent_id}/execute", json={"input": {"n": 1}}, headers=key)
    assert first.status_code == 202, first.text
    await set_status(client, owner, agent_id, "paused")
    # A client retrying a request that was accepted gets its answer again, not a refusal.
    again = await client.post(f"/agents/{agent_id}/execute", json={"input": {"n": 2}}, headers=key)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == first.json()["id"]
    [execution] = await executions_of(session, agent_id)
    assert execution.input == {"n": 1}


async def test_a_paused_or_archived_agents_webhook_is_404_until_it_is_active_again(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await published(client, session, owner)
    token = await webhook_token(client, owner, agent_id)
    assert (await client.post(f"/hooks/{token}", json={"text": "on"})).status_code == 202

    await set_status(client, owner, agent_id, "paused")
    paused = await client.post(f"/hooks/{token}", json={"text": "paused"})
    assert paused.status_code == 404, paused.text
    assert paused.json()["error"]["code"] == "unknown_webhook"

    await set_status(client, owner, agent_id, "active")
    assert (await client.post(f"/hooks/{token}", json={"text": "on again"})).status_code == 202

    assert (await client.delete(f"/agents/{agent_id}", headers=owner.headers)).status_code == 204
    assert (await client.post(f"/hooks/{token}", json={"text": "archived"})).status_code == 404
    bodies = [e.input["body"]["text"] for e in await executions_of(session, agent_id)]
    assert bodies == ["on", "on again"]


async def test_an_agent_without_a_webhook_trigger_has_no_webhook(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    """A webhook agent republished with another trigger kind keeps its token, but the URL stops working."""
    agent_id = await published(client, session, owner)
    token = await webhook_token(client, owner, agent_id)
    definition = triage_definition()
    definition["nodes"][0]["config"] = {"kind": "api"}
    saved = await client.put(
        f"/agents/{agent_id}", json={"definition": definition, "revision": 1}, headers=owner.headers
    )
    assert saved.status_code == 200, saved.text
    assert (
        await client.post(f"/agents/{agent_id}/publish", json={}, headers=owner.headers)
    ).status_code == 201
    assert (await client.post(f"/hooks/{token}", json={"text": "x"})).status_code == 404
    assert await count(session, agent_id) == 0


async def test_a_webhook_idempotency_key_gives_one_execution(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await published(client, session, owner)
    token = await webhook_token(client, owner, agent_id)
    first = await client.post(f"/hooks/{token}", json={"text": "one"}, headers={"Idempotency-Key": "evt_1"})
    assert first.status_code == 202, first.text
    again = await client.post(f"/hooks/{token}", json={"text": "two"}, headers={"Idempotency-Key": "evt_1"})
    assert again.status_code == 202, again.text
    assert again.json() == first.json()
    [execution] = await executions_of(session, agent_id)
    assert str(execution.id) == first.json()["execution_id"]
    assert execution.input["body"] == {"text": "one"}  # the first delivery's, not the repeat's
    other = await client.post(f"/hooks/{token}", json={"text": "three"}, headers={"Idempotency-Key": "evt_2"})
    assert other.json()["execution_id"] != first.json()["execution_id"]
    assert await count(session, agent_id) == 2


async def test_a_webhook_body_not_matching_the_input_schema_is_422_and_runs_nothing(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    definition = triage_definition()
    definition["nodes"][0]["config"]["input_schema"] = {
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string", "maxLength": 20}},
    }
    agent_id = await published(client, session, owner, definition)
    token = await webhook_token(client, owner, agent_id)
    for body in ({"title": "no text"}, {"text": 42}, {"text": "x" * 21}):
        refused = await client.post(f"/hooks/{token}", json=body)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "invalid_input"
        assert "input_schema" in error["message"]
    assert await count(session, agent_id) == 0
    # The schema describes the body, not the `{body, headers, query}` the run receives.
    accepted = await client.post(f"/hooks/{token}?source=ci", json={"text": "fits"})
    assert accepted.status_code == 202, accepted.text
    [execution] = await executions_of(session, agent_id)
    assert execution.input["body"] == {"text": "fits"} and execution.input["query"] == {"source": "ci"}
