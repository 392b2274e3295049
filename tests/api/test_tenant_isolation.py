"""Attacks a self-signed-up tenant could try through the API, each refused: widening egress through org
settings, API keys minting tokens or exceeding their scopes, approval fields overriding the decision, members
deciding approvals they are not approvers of."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.models import Execution, ExecutionStatus, TriggeredBy
from agentflow.rbac import Role
from tests.factories import Member, add_member, create_agent, create_org_with_owner


async def api_key(client: httpx.AsyncClient, member: Member, *scopes: str) -> dict[str, str]:
    body: dict[str, Any] = {"name": "k", **({"scopes": list(scopes)} if scopes else {})}
    created = await client.post("/org/api-keys", json=body, headers=member.headers)
    assert created.status_code == 201, created.text
    return {"X-API-Key": created.json()["key"]}


async def test_org_settings_cannot_open_the_private_network(client: httpx.AsyncClient, owner: Member) -> None:
    for value in (True, False, None):
        refused = await client.put(
            "/org", json={"settings": {"allow_private_network": value}}, headers=owner.headers
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["message"].startswith("Allow private network: ")
        assert refused.json()["error"]["details"][0]["loc"] == ["body", "settings", "allow_private_network"]
        assert "AGENTFLOW_EGRESS_ALLOWLIST" in refused.json()["error"]["message"]
    unknown = await client.put("/org", json={"settings": {"egress": "*"}}, headers=owner.headers)
    assert unknown.status_code == 422
    assert "settings.egress" in unknown.json()["error"]["message"]
    # Nothing stored; the time zone is always shown (UTC when unset).
    assert (await client.get("/org", headers=owner.headers)).json()["settings"] == {"timezone": "UTC"}


async def test_org_settings_accept_only_typed_known_keys(client: httpx.AsyncClient, owner: Member) -> None:
    wrong_type = await client.put(
        "/org", json={"settings": {"ai": {"default_provider": "skynet"}}}, headers=owner.headers
    )
    assert wrong_type.status_code == 422
    bad_zone = await client.put(
        "/org", json={"settings": {"timezone": "Mars/Olympus"}}, headers=owner.headers
    )
    assert bad_zone.status_code == 422
    routing = {
        "default_provider": "openai",
        "default_model": "gpt-4o-mini",
        "fallback_models": ["claude-haiku-4-5"],
        "routes": {"my-*": "ollama"},
    }
    ok = await client.put(
        "/org", json={"settings": {"ai": routing, "timezone": "Europe/Berlin"}}, headers=owner.headers
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["settings"] == {"ai": routing, "timezone": "Europe/Berlin"}


async def test_an_api_key_cannot_switch_orgs_or_mint_tokens(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    key = await api_key(client, owner, "agents:read")
    switched = await client.post("/auth/switch-org", json={"org_id": str(owner.org_id)}, headers=key)
    assert switched.status_code == 403, switched.text
    assert switched.json()["error"]["code"] == "api_key_not_allowed"
    assert "set-cookie" not in switched.headers
    full_key = await api_key(client, owner)  # every permission of its owner: still no tokens
    assert (
        await client.post("/auth/switch-org", json={"org_id": str(owner.org_id)}, headers=full_key)
    ).status_code == 403
    invited = await client.post(
        "/org/members/invite", json={"email": owner.email, "role": "viewer"}, headers=owner.headers
    )
    other = await create_org_with_owner(session, settings, name="Other")
    invitation = await client.post(
        "/org/members/invite", json={"email": f"x{uuid.uuid4().hex[:6]}@example.com"}, headers=other.headers
    )
    token = invitation.json()["token"]
    accepted = await client.post(f"/invitations/{token}/accept", json={}, headers=full_key)
    assert accepted.status_code == 403, accepted.text
    assert invited.status_code in (201, 409)


async def paused_execution(
    session: AsyncSession, owner: Member, *, approvers: list[str], input_schema: dict[str, Any] | None = None
) -> Execution:
    """A run paused on an approval, as the engine leaves it (its flow run is not in Prefect: the resume
    after the decision fails quietly and the decision stays recorded for the sweeper)."""
    agent_id = await create_agent(session, owner)
    execution = Execution(
        org_id=owner.org_id,
        agent_id=agent_id,
        status=ExecutionStatus.paused,
        triggered_by=TriggeredBy.manual,
        input={},
        prefect_flow_run_id=uuid.uuid4(),
        waiting_for={
            "node_id": "ask",
            "step_key": "ask",
            "message": "Ship it?",
            "approvers": approvers,
            "on_timeout": "reject",
            "deadline": "2999-01-01T00:00:00+00:00",
            "input_schema": input_schema,
            "round": 0,
        },
    )
    session.add(execution)
    await session.flush()
    return execution


async def test_approval_fields_follow_the_schema_and_never_override_the_decision(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    schema = {
        "type": "object",
        "properties": {"amount": {"type": "number", "maximum": 100}},
        "required": ["amount"],
    }
    execution = await paused_execution(session, owner, approvers=[], input_schema=schema)
    url = f"/executions/{execution.id}/approve"
    for fields in ({"approved": False}, {"by": "someone-else"}, {"at": "1970"}, {"comment": "x"}):
        refused = await client.post(url, json={"approved": True, "fields": fields}, headers=owner.headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "invalid_fields"
    for fields in ({}, {"amount": "lots"}, {"amount": 1000}):
        refused = await client.post(url, json={"approved": True, "fields": fields}, headers=owner.headers)
        assert refused.status_code == 422, (fields, refused.text)
        assert "input_schema" in refused.json()["error"]["message"]
    decided = await client.post(
        url, json={"approved": True, "comment": "fine", "fields": {"amount": 42}}, headers=owner.headers
    )
    assert decided.status_code == 200, decided.text
    decision = decided.json()["waiting_for"]["decision"]
    assert decision["by"] == str(owner.user_id) and decision["fields"] == {"amount": 42}
    assert decision["approved"] is True and decision["timed_out"] is False
    again = await client.post(url, json={"approved": False}, headers=owner.headers)
    assert again.status_code == 409  # decided once, through the API only


async def test_a_rejection_need_not_fill_required_fields(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    schema = {"type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]}
    execution = await paused_execution(session, owner, approvers=[], input_schema=schema)
    rejected = await client.post(
        f"/executions/{execution.id}/approve", json={"approved": False}, headers=owner.headers
    )
    assert rejected.status_code == 200, rejected.text


async def test_an_api_key_approves_only_within_its_scopes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    execution = await paused_execution(session, owner, approvers=["role:admin"])
    url = f"/executions/{execution.id}/approve"
    read_only = await api_key(client, owner, "executions:read")
    assert (await client.post(url, json={"approved": True}, headers=read_only)).status_code == 403
    # May decide, but its scopes are a viewer's: not an admin's, whoever created it.
    viewerish = await api_key(
        client, owner, "org:read", "members:read", "teams:read", "agents:read", "executions:read",
        "executions:approve",
    )  # fmt: skip
    refused = await client.post(url, json={"approved": True}, headers=viewerish)
    assert refused.status_code == 403, refused.text
    full = await api_key(client, owner)  # the owner's own permissions: acts as the owner
    assert (await client.post(url, json={"approved": True}, headers=full)).status_code == 200

    named = await add_member(session, settings, owner.org_id, Role.viewer)
    mine = await paused_execution(session, owner, approvers=[str(named.user_id)])
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    nobody = await paused_execution(session, owner, approvers=[])
    url_mine, url_nobody = f"/executions/{mine.id}/approve", f"/executions/{nobody.id}/approve"
    assert (await client.post(url_mine, json={"approved": True}, headers=viewer.headers)).status_code == 403
    assert (await client.post(url_mine, json={"approved": True}, headers=named.headers)).status_code == 200
    assert (await client.post(url_nobody, json={"approved": True}, headers=viewer.headers)).status_code == 403


# Who may decide: `role:<r>` admits r and every higher role, a user id admits that user whatever their role,
# and no approvers at all admits editors and up. "me" is the caller's own id, "someone" another member's.
APPROVER_MATRIX = [
    pytest.param(["role:admin"], Role.editor, False, id="lower-role-than-named-refused"),
    pytest.param(["role:admin"], Role.viewer, False, id="viewer-below-named-role-refused"),
    pytest.param(["role:admin"], Role.admin, True, id="named-role-accepted"),
    pytest.param(["role:admin"], Role.owner, True, id="higher-role-than-named-accepted"),
    pytest.param(["role:editor"], Role.viewer, False, id="viewer-below-editor-refused"),
    pytest.param(["me"], Role.viewer, True, id="named-viewer-accepted"),
    pytest.param(["someone"], Role.owner, False, id="owner-not-named-refused"),
    pytest.param(["someone", "role:owner"], Role.editor, False, id="neither-named-nor-role-refused"),
    pytest.param(["someone", "me"], Role.editor, True, id="one-of-several-named-accepted"),
    pytest.param([], Role.viewer, False, id="viewer-refused-when-nobody-named"),
    pytest.param([], Role.editor, True, id="editor-accepted-when-nobody-named"),
    pytest.param([], Role.owner, True, id="owner-accepted-when-nobody-named"),
    pytest.param(["role:superuser"], Role.owner, False, id="unknown-role-admits-nobody"),
]


@pytest.mark.parametrize(("approvers", "role", "allowed"), APPROVER_MATRIX)
async def test_only_the_steps_approvers_may_decide(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    approvers: list[str],
    role: Role,
    allowed: bool,
) -> None:
    caller = owner if role is Role.owner else await add_member(session, settings, owner.org_id, role)
    someone = await add_member(session, settings, owner.org_id, Role.editor)
    names = {"me": str(caller.user_id), "someone": str(someone.user_id)}
    paused = await paused_execution(session, owner, approvers=[names.get(a, a) for a in approvers])
    url = f"/executions/{paused.id}"  # a plain value: a refused request expires the ORM object
    decided = await client.post(url + "/approve", json={"approved": False}, headers=caller.headers)
    after = (await client.get(url, headers=owner.headers)).json()
    if allowed:
        assert decided.status_code == 200, decided.text
        decision = after["waiting_for"]["decision"]
        assert (decision["approved"], decision["by"]) == (False, str(caller.user_id))
    else:
        assert decided.status_code == 403, decided.text
        assert decided.json()["error"]["message"] == "You are not one of this step's approvers"
        # A refusal decides nothing: the run still waits, and an approver can still decide.
        assert after["status"] == "paused" and "decision" not in after["waiting_for"]
        if "someone" in approvers:
            later = await client.post(url + "/approve", json={"approved": True}, headers=someone.headers)
            assert later.status_code == 200, later.text


async def test_secret_names_are_shown_only_to_roles_that_may_read_secrets(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    created = await client.post(
        "/org/secrets", json={"name": "BILLING_TOKEN", "value": "v-123456"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    agent_id = await create_agent(session, owner)
    viewer = await add_member(session, settings, owner.org_id, Role.viewer)
    editor = await add_member(session, settings, owner.org_id, Role.editor)
    seen = {}
    for member in (viewer, editor):
        response = await client.get(
            f"/agents/{agent_id}/variables", params={"node": "classify"}, headers=member.headers
        )
        assert response.status_code == 200, response.text
        seen[member.role] = {v["template"] for v in response.json()["variables"] if v["root"] == "env"}
    assert seen[Role.viewer] == set()
    assert "{{env.BILLING_TOKEN}}" in seen[Role.editor]
