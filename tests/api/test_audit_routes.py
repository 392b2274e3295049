"""Every mutating route, called successfully by an owner, writes exactly one audit entry with its action.

Walks the same route table as tests/api/test_route_table.py (and builds the same requests): a route added
later is covered here without a change, and fails until api/audit_actions.py names its action.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.models import AuditLog
from api.audit_actions import ACTIONS, MUTATING_METHODS, NOT_AUDITED
from tests.api.test_route_table import (
    ALL,
    NEEDS_ENGINE_STATE,
    PROTECTED,
    OrgResources,
    body_kwargs,
    build_request,
    outside_page,  # noqa: F401  (the loopback page the URL-fetching routes read)
    route_id,
)
from tests.factories import Member

MUTATIONS = [(m, r) for m, r in ALL if m in MUTATING_METHODS]
AUDITED = [(m, r) for m, r in PROTECTED if m in MUTATING_METHODS and (m, r.path) not in NOT_AUDITED]
# Not an APIRoute (no OpenAPI entry), audited by api/mcp.py itself: tests/api/test_audit_log.py drives it.
NON_API_ROUTES = {("POST", "/mcp")}


def test_every_mutating_route_names_its_action_or_why_it_has_none() -> None:
    missing = [
        f"{m} {r.path}" for m, r in MUTATIONS if (m, r.path) not in ACTIONS and (m, r.path) not in NOT_AUDITED
    ]
    assert missing == [], f"name them in api/audit_actions.py ACTIONS (or NOT_AUDITED, why): {missing}"
    served = {(m, r.path) for m, r in MUTATIONS}
    stale = sorted(set(ACTIONS) - served - NON_API_ROUTES) + sorted(set(NOT_AUDITED) - served)
    assert stale == [], f"entries for routes that no longer exist: {stale}"


async def _entries(session: AsyncSession, member: Member) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.org_id == member.org_id).order_by(AuditLog.created_at)
    return list((await session.execute(stmt)).scalars().all())


@pytest.mark.parametrize("item", AUDITED, ids=route_id)
async def test_a_successful_mutation_writes_exactly_one_entry(
    item: tuple[str, APIRoute],
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    method, route = item
    own = OrgResources(session, settings, owner)
    path, body = await build_request(method, route, own, own)
    before = {entry.id for entry in await _entries(session, owner)}
    headers = {**owner.headers, "User-Agent": "audit-walk/1"}
    response = await client.request(method, path, headers=headers, **body_kwargs(method, route, body))
    new = [entry for entry in await _entries(session, owner) if entry.id not in before]
    if (method, route.path) in NEEDS_ENGINE_STATE:  # refused here (409): a refused request leaves none
        assert response.status_code >= 400, response.text
        assert new == []
        return
    assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}"
    assert [entry.action for entry in new] == [ACTIONS[(method, route.path)].action]
    (entry,) = new
    assert (entry.actor_type, entry.actor_id, entry.actor_email) == ("user", owner.user_id, owner.email)
    assert entry.user_agent == "audit-walk/1"
    assert entry.request_id == response.headers["x-request-id"]
    assert entry.ip == "127.0.0.1"
    assert entry.resource_type == ACTIONS[(method, route.path)].resource_type
