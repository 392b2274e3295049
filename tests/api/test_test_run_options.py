"""A test run's per-node options (preview, a sample response, really send) and its webhook-shaped input:
what the test endpoint accepts, refuses with a clear 422, and records. The walk itself is covered in
tests/agentflow/engine/test_nodes.py and the builder journey in tests/e2e/test_testrun_journeys.py."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.models import Execution
from tests.factories import Member, create_agent


def definition(input_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    trigger: dict[str, Any] = {"kind": "webhook", **({"input_schema": input_schema} if input_schema else {})}
    return {
        "nodes": [
            {"id": "start", "type": "trigger", "name": "Start", "config": trigger},
            {
                "id": "create",
                "type": "action.http",
                "name": "Create",
                "config": {"method": "POST", "url": "https://example.com/tickets", "json": {"t": 1}},
            },
        ],
        "edges": [{"source": "start", "target": "create"}],
    }


async def recorded(session: AsyncSession, execution_id: str) -> Execution:
    session.expire_all()
    row = await session.scalar(select(Execution).where(Execution.id == uuid.UUID(execution_id)))
    assert row is not None
    return row


async def test_the_options_are_recorded_with_the_test_run(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner, definition=definition())
    sample = {"status": 201, "headers": {}, "body": {"id": "T-7"}}
    started = await client.post(
        f"/agents/{agent_id}/test",
        json={
            "input": {"body": {}, "headers": {}, "query": {}},
            "nodes": {"create": {"mode": "sample", "sample": sample}},
        },
        headers=owner.headers,
    )
    assert started.status_code == 202, started.text
    execution = await recorded(session, started.json()["id"])
    assert execution.test_options == {"create": {"mode": "sample", "sample": sample}}
    plain = await client.post(f"/agents/{agent_id}/test", json={"input": {}}, headers=owner.headers)
    assert (await recorded(session, plain.json()["id"])).test_options is None


@pytest.mark.parametrize(
    ("nodes", "code", "says"),
    [
        ({"nowhere": {"mode": "send"}}, "unknown_test_node", "'nowhere', which is not a node of this agent"),
        ({"Create": {"mode": "send"}}, "validation_error", "is not in the expected format"),
        ({"create": {"mode": "explode"}}, "validation_error", "Mode must be one of: preview, sample or send"),
        ({"create": {"mode": "sample"}}, "validation_error", "a sample response is needed"),
        (
            {"create": {"mode": "sample", "sample": {"body": "x" * 40_000}}},
            "validation_error",
            "at most 32 KiB",
        ),
        ({"create": {"mode": "sample", "sample": [1, 2]}}, "validation_error", "Sample must be an object"),
        ({"create": {"mode": "send", "extra": 1}}, "validation_error", "is not a field this accepts"),
        ({f"n{i}": {} for i in range(101)}, "validation_error", "at most 100 items"),
    ],
)
async def test_bad_options_are_422_and_start_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    owner: Member,
    nodes: dict[str, Any],
    code: str,
    says: str,
) -> None:
    agent_id = await create_agent(session, owner, definition=definition())
    refused = await client.post(
        f"/agents/{agent_id}/test", json={"input": {}, "nodes": nodes}, headers=owner.headers
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == code and says in error["message"], error
    session.expire_all()
    assert await session.scalar(select(Execution.id).where(Execution.agent_id == agent_id)) is None


async def test_a_webhook_test_input_is_the_delivery_shape_and_its_body_is_checked(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    schema = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
    agent_id = await create_agent(session, owner, definition=definition(schema))
    fits = {"body": {"text": "crash"}, "headers": {"content-type": "application/json"}, "query": {}}
    started = await client.post(f"/agents/{agent_id}/test", json={"input": fits}, headers=owner.headers)
    assert started.status_code == 202, started.text
    wrong = {"body": {"text": 7}, "headers": {}, "query": {}}
    refused = await client.post(f"/agents/{agent_id}/test", json={"input": wrong}, headers=owner.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_input"
    assert "text" in refused.json()["error"]["message"]
