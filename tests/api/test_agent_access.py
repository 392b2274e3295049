"""Per-agent access: a restricted agent is reached only by its owning team, its grants and holders of
`agents:access_all`; everyone else gets the 404 another org's agent gets, everywhere agents are reached."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from agentflow.agents.schemas import EXAMPLE_DEFINITION, MAX_GRANTS, AgentCreate
from agentflow.agents.service import agent_service
from agentflow.config import Settings
from agentflow.engine.worker.store import EngineStore
from agentflow.errors import Forbidden, NotFound
from agentflow.executions.triggers import trigger_service
from agentflow.exports.runner import run_export
from agentflow.exports.storage import export_store
from agentflow.kit.fastread import ConnectionReader
from agentflow.mcp_server.service import mcp_tool_service
from agentflow.models import (
    AgentGrant,
    AuditLog,
    Execution,
    ExecutionEvent,
    ExecutionStatus,
    Export,
    Notification,
    TriggeredBy,
)
from agentflow.notifications.kinds import Recipients
from agentflow.notifications.producers import approval_notice
from agentflow.rbac import Permission, Role
from agentflow.teams.schemas import TeamCreate
from agentflow.teams.service import team_service
from tests.factories import (
    NO_LIMITS,
    Member,
    add_custom_role_member,
    add_member,
    create_agent,
    create_api_key,
    create_org_with_owner,
)
from tests.support.usage import add_execution

READ = "agents:read"
EXECUTE = "agents:execute"


def tool_definition() -> dict[str, Any]:
    """The example agent, run by API (so an MCP tool) and exposed as one."""
    definition = copy.deepcopy(EXAMPLE_DEFINITION)
    definition["nodes"][0]["config"] = {"kind": "api"}
    definition["settings"] = {"expose_as_tool": True}
    return definition


@dataclass(frozen=True)
class Setup:
    agent_id: uuid.UUID
    execution_id: uuid.UUID
    team_id: uuid.UUID  # the owning team
    team_editor: Member  # in the owning team
    outsider: Member  # an editor of the org, in no team


async def restricted_agent(session: AsyncSession, settings: Settings, owner: Member) -> Setup:
    """A published tool agent of the owner's org, owned by a team, restricted, with one execution (ended,
    so its stream replays its events and ends)."""
    subject = owner.subject
    team = await team_service.create(
        session, subject=subject, body=TeamCreate(name=f"t-{uuid.uuid4().hex[:6]}")
    )
    team_editor = await add_member(session, settings, owner.org_id, Role.editor)
    await team_service.add_member(session, subject=subject, team_id=team.id, user_id=team_editor.user_id)
    outsider = await add_member(session, settings, owner.org_id, Role.editor)
    agent = await agent_service.create(
        session,
        limits=NO_LIMITS,
        subject=subject,
        body=AgentCreate(name="Payroll", definition=tool_definition(), team_id=team.id),
    )
    await agent_service.publish(session, subject=subject, agent_id=agent.id, message="")
    execution = await trigger_service.start(
        session,
        limits=NO_LIMITS,
        agent=agent,
        triggered_by=TriggeredBy.manual,
        input={"text": "hi"},
        user_id=owner.user_id,
    )
    execution_row = await session.get(Execution, execution.id)
    assert execution_row is not None
    execution_row.status = ExecutionStatus.cancelled
    session.add(
        ExecutionEvent(
            org_id=owner.org_id,
            execution_id=execution.id,
            type="execution.cancelled",
            data={"status": "cancelled"},
            created_at=datetime.now(UTC),
        )
    )
    agent.restricted = True
    await session.flush()
    return Setup(agent.id, execution.id, team.id, team_editor, outsider)


async def put_access(
    client: httpx.AsyncClient, who: Member, agent_id: uuid.UUID, body: dict[str, Any]
) -> httpx.Response:
    return await client.put(f"/agents/{agent_id}/access", json=body, headers=who.headers)


async def reaches(client: httpx.AsyncClient, headers: dict[str, str], s: Setup) -> dict[str, int]:
    """The status of each read of the agent and its execution."""
    paths = {
        "get": f"/agents/{s.agent_id}",
        "versions": f"/agents/{s.agent_id}/versions",
        "export": f"/agents/{s.agent_id}/export",
        "access": f"/agents/{s.agent_id}/access",
        "execution": f"/executions/{s.execution_id}",
        "steps": f"/executions/{s.execution_id}/steps",
        "stream": f"/executions/{s.execution_id}/stream",
        "analytics": f"/analytics/agents/{s.agent_id}",
    }
    return {name: (await client.get(path, headers=headers)).status_code for name, path in paths.items()}


async def listed(client: httpx.AsyncClient, headers: dict[str, str], s: Setup) -> dict[str, bool]:
    agents = (await client.get("/agents", headers=headers)).json()["items"]
    runs = (await client.get("/executions", headers=headers)).json()["items"]
    by_agent = (await client.get("/executions", params={"agent_id": str(s.agent_id)}, headers=headers)).json()
    costs = (await client.get("/analytics/costs", params={"group_by": "agent"}, headers=headers)).json()
    overview = (await client.get("/analytics/overview", headers=headers)).json()
    return {
        "agents": any(a["id"] == str(s.agent_id) for a in agents),
        "executions": any(r["id"] == str(s.execution_id) for r in runs),
        "filtered": bool(by_agent["items"]),
        "costs": any(item["key"] == str(s.agent_id) for item in costs["items"]),
        "overview": overview["executions"] > 0,
    }


async def test_a_restricted_agent_is_404_everywhere_for_an_editor_without_a_grant(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    s = await restricted_agent(session, settings, owner)
    other = await create_org_with_owner(session, settings, name="Org B")
    another_orgs = await client.get(f"/agents/{uuid.uuid4()}", headers=owner.headers)

    refused = await reaches(client, s.outsider.headers, s)
    assert set(refused.values()) == {404}, refused
    assert await listed(client, s.outsider.headers, s) == dict.fromkeys(
        ("agents", "executions", "filtered", "costs", "overview"), False
    )
    # The same body as for an agent that is not there (another org's): nothing tells the two apart.
    hidden = await client.get(f"/agents/{s.agent_id}", headers=s.outsider.headers)
    assert hidden.json()["error"]["code"] == another_orgs.json()["error"]["code"] == "not_found"
    assert hidden.json()["error"]["message"] == f"Agent {s.agent_id} not found"
    for method, path, body in (
        ("POST", f"/agents/{s.agent_id}/execute", {"input": {"text": "x"}}),
        ("POST", f"/agents/{s.agent_id}/test", {"input": {"text": "x"}}),
        ("PUT", f"/agents/{s.agent_id}", {"name": "Mine now", "revision": 1}),
        ("POST", f"/agents/{s.agent_id}/publish", {"message": ""}),
        ("POST", f"/agents/{s.agent_id}/duplicate", {}),
        ("PUT", f"/agents/{s.agent_id}/access", {"restricted": False, "grants": []}),
        ("POST", f"/executions/{s.execution_id}/cancel", None),
        ("POST", f"/executions/{s.execution_id}/retry", {"from_failed": False}),
        ("POST", f"/executions/{s.execution_id}/approve", {"approved": True}),
    ):
        response = await client.request(method, path, json=body, headers=s.outsider.headers)
        assert response.status_code == 404, f"{method} {path}: {response.text}"

    # The owning team's editor and the owner (agents:access_all) reach all of it; another org does not.
    for member in (s.team_editor, owner):
        assert set((await reaches(client, member.headers, s)).values()) == {200}
        assert all((await listed(client, member.headers, s)).values())
    assert set((await reaches(client, other.headers, s)).values()) == {404}


async def test_a_read_grant_lets_a_user_see_the_agent_but_not_run_or_edit_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    s = await restricted_agent(session, settings, owner)
    granted = await put_access(
        client,
        owner,
        s.agent_id,
        {"restricted": True, "grants": [{"user_id": str(s.outsider.user_id), "permissions": [READ]}]},
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["grants"][0]["user_id"] == str(s.outsider.user_id)
    shown = await client.get(f"/agents/{s.agent_id}", headers=s.outsider.headers)
    assert shown.json()["restricted"] is True

    assert set((await reaches(client, s.outsider.headers, s)).values()) == {200}
    assert (await listed(client, s.outsider.headers, s))["agents"]
    for method, path, body in (
        ("POST", f"/agents/{s.agent_id}/execute", {"input": {"text": "x"}}),
        ("PUT", f"/agents/{s.agent_id}", {"name": "Renamed", "revision": 1}),
        ("POST", f"/agents/{s.agent_id}/publish", {"message": ""}),
        ("POST", f"/executions/{s.execution_id}/cancel", None),
    ):
        response = await client.request(method, path, json=body, headers=s.outsider.headers)
        assert response.status_code == 403, f"{method} {path}: {response.text}"
        assert response.json()["error"]["code"] == "agent_access_denied"

    # An execute grant runs it (and, as any grant does, lets them read it).
    await put_access(
        client,
        owner,
        s.agent_id,
        {"restricted": True, "grants": [{"user_id": str(s.outsider.user_id), "permissions": [EXECUTE]}]},
    )
    run = await client.post(
        f"/agents/{s.agent_id}/execute", json={"input": {"text": "x"}}, headers=s.outsider.headers
    )
    assert run.status_code == 202, run.text


async def test_a_team_grant_works_through_membership_and_ends_when_the_user_leaves_the_team(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    s = await restricted_agent(session, settings, owner)
    support = await team_service.create(session, subject=owner.subject, body=TeamCreate(name="Support"))
    await team_service.add_member(
        session, subject=owner.subject, team_id=support.id, user_id=s.outsider.user_id
    )
    support_id = support.id
    key = await create_api_key(session, s.outsider)  # a key acts with its creator's grants
    body = {"restricted": True, "grants": [{"team_id": str(support_id), "permissions": [READ, EXECUTE]}]}
    assert (await put_access(client, owner, s.agent_id, body)).status_code == 200

    run = await client.post(
        f"/agents/{s.agent_id}/execute", json={"input": {"text": "x"}}, headers=s.outsider.headers
    )
    assert run.status_code == 202, run.text
    assert (await client.get(f"/agents/{s.agent_id}", headers={"X-API-Key": key})).status_code == 200

    removed = await client.delete(f"/teams/{support_id}/members/{s.outsider.user_id}", headers=owner.headers)
    assert removed.status_code == 204, removed.text
    assert (await client.get(f"/agents/{s.agent_id}", headers=s.outsider.headers)).status_code == 404
    assert (await client.get(f"/agents/{s.agent_id}", headers={"X-API-Key": key})).status_code == 404
    listed_runs = (await client.get("/executions", headers=s.outsider.headers)).json()["items"]
    assert all(r["agent_id"] != str(s.agent_id) for r in listed_runs)

    # Lifting the restriction opens it to the org again.
    assert (
        await put_access(client, owner, s.agent_id, {"restricted": False, "grants": []})
    ).status_code == 200
    assert (await client.get(f"/agents/{s.agent_id}", headers=s.outsider.headers)).status_code == 200


async def test_api_keys_act_with_their_creators_grants_within_their_scopes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    s = await restricted_agent(session, settings, owner)
    await put_access(
        client,
        owner,
        s.agent_id,
        {"restricted": True, "grants": [{"user_id": str(s.outsider.user_id), "permissions": [READ]}]},
    )
    granted_key = await create_api_key(session, s.outsider)
    team_key = await create_api_key(session, s.team_editor)
    # The owner's key without the agents:access_all scope acts as the owner without it: not in the team.
    narrow_owner_key = await create_api_key(session, owner, scopes=[READ, "executions:read"])
    full_owner_key = await create_api_key(session, owner)
    stranger = await add_member(session, settings, owner.org_id, Role.editor)
    stranger_key = await create_api_key(session, stranger)

    def get(key: str) -> Any:
        return client.get(f"/agents/{s.agent_id}", headers={"X-API-Key": key})

    assert (await get(granted_key)).status_code == 200
    assert (await get(team_key)).status_code == 200
    assert (await get(full_owner_key)).status_code == 200
    assert (await get(narrow_owner_key)).status_code == 404
    assert (await get(stranger_key)).status_code == 404
    run = await client.post(
        f"/agents/{s.agent_id}/execute", json={"input": {}}, headers={"X-API-Key": granted_key}
    )
    assert run.status_code == 403


async def test_grants_naming_another_orgs_team_or_user_and_malformed_grants_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    s = await restricted_agent(session, settings, owner)
    other = await create_org_with_owner(session, settings, name="Org B Secret Name")
    their_team = await team_service.create(session, subject=other.subject, body=TeamCreate(name="Theirs"))

    def grant(**subject: Any) -> dict[str, Any]:
        return {"restricted": True, "grants": [{**subject, "permissions": [READ]}]}

    for body in (grant(team_id=str(their_team.id)), grant(user_id=str(other.user_id))):
        refused = await put_access(client, owner, s.agent_id, body)
        assert refused.status_code == 404, refused.text
        assert other.org_name not in refused.text and other.email not in refused.text
    # Their owner cannot see or change our agent's access either.
    assert (await client.get(f"/agents/{s.agent_id}/access", headers=other.headers)).status_code == 404
    assert (
        await put_access(client, other, s.agent_id, {"restricted": False, "grants": []})
    ).status_code == 404

    user = str(s.outsider.user_id)
    malformed: list[dict[str, Any]] = [
        {"restricted": True, "grants": [{"user_id": user, "permissions": ["agents:archive"]}]},
        {"restricted": True, "grants": [{"user_id": user, "permissions": []}]},
        {"restricted": True, "grants": [{"permissions": [READ]}]},
        {"restricted": True, "grants": [{"user_id": user, "team_id": str(s.team_id), "permissions": [READ]}]},
        {"restricted": True, "grants": [{"user_id": user, "permissions": [READ]}] * 2},
        {
            "restricted": True,
            "grants": [{"user_id": str(uuid.uuid4()), "permissions": [READ]}] * (MAX_GRANTS + 1),
        },
        {"restricted": "sometimes", "grants": []},
        {"restricted": True, "grants": [], "owner": user},
    ]
    for body in malformed:
        response = await put_access(client, owner, s.agent_id, body)
        assert response.status_code == 422, f"{body}: {response.text}"
    # Nothing was changed by the refusals.
    unchanged = (await client.get(f"/agents/{s.agent_id}/access", headers=owner.headers)).json()
    assert unchanged == {
        "agent_id": str(s.agent_id),
        "restricted": True,
        "team_id": str(s.team_id),
        "grants": [],
    }


async def test_only_the_owning_team_or_access_all_changes_access(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    s = await restricted_agent(session, settings, owner)
    writer = {"user_id": str(s.outsider.user_id), "permissions": [READ, "agents:write"]}
    assert (
        await put_access(client, owner, s.agent_id, {"restricted": True, "grants": [writer]})
    ).status_code == 200

    # A write grant edits the agent but does not decide who reaches it, nor move it to another team.
    edited = await client.put(
        f"/agents/{s.agent_id}", json={"description": "Edited", "revision": 1}, headers=s.outsider.headers
    )
    assert edited.status_code == 200, edited.text
    own_team = await team_service.create(session, subject=owner.subject, body=TeamCreate(name="Outsiders"))
    await team_service.add_member(
        session, subject=owner.subject, team_id=own_team.id, user_id=s.outsider.user_id
    )
    moved = await client.put(
        f"/agents/{s.agent_id}", json={"team_id": str(own_team.id), "revision": 2}, headers=s.outsider.headers
    )
    assert moved.status_code == 403, moved.text
    opened = await put_access(client, s.outsider, s.agent_id, {"restricted": False, "grants": []})
    assert opened.status_code == 403
    assert opened.json()["error"]["code"] == "agent_access_denied"

    # The owning team's editor may, and keeps access whatever they set (the team always reaches it).
    by_team = await put_access(client, s.team_editor, s.agent_id, {"restricted": True, "grants": []})
    assert by_team.status_code == 200, by_team.text
    assert (await client.get(f"/agents/{s.agent_id}", headers=s.team_editor.headers)).status_code == 200
    assert (await client.get(f"/agents/{s.agent_id}", headers=s.outsider.headers)).status_code == 404

    entries = (
        await session.scalars(
            select(AuditLog).where(AuditLog.org_id == owner.org_id, AuditLog.action == "agent.access_changed")
        )
    ).all()
    assert len(entries) == 2 and all(e.resource_id == str(s.agent_id) for e in entries)


async def test_a_copy_of_a_restricted_agent_is_restricted_alike(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    s = await restricted_agent(session, settings, owner)
    reader = {"user_id": str(s.outsider.user_id), "permissions": [READ]}
    await put_access(client, owner, s.agent_id, {"restricted": True, "grants": [reader]})
    copied = await client.post(f"/agents/{s.agent_id}/duplicate", json={}, headers=s.team_editor.headers)
    assert copied.status_code == 201, copied.text
    access = (await client.get(f"/agents/{copied.json()['id']}/access", headers=owner.headers)).json()
    assert access["restricted"] is True and access["team_id"] == str(s.team_id)
    assert [g["user_id"] for g in access["grants"]] == [str(s.outsider.user_id)]
    stranger = await add_member(session, settings, owner.org_id, Role.editor)
    assert (await client.get(f"/agents/{copied.json()['id']}", headers=stranger.headers)).status_code == 404


async def test_mcp_tools_leave_out_restricted_agents_the_caller_may_not_read(
    session: AsyncSession, settings: Settings, owner: Member
) -> None:
    s = await restricted_agent(session, settings, owner)

    async def tools(member: Member) -> list[str]:
        return [tool.name for tool in await mcp_tool_service.list_tools(session, subject=member.subject)]

    async def call(member: Member) -> Any:
        return await mcp_tool_service.start_call(
            session,
            subject=member.subject,
            name="payroll",
            arguments={},
            max_input_bytes=10_000,
            limits=NO_LIMITS,
        )

    assert await tools(s.outsider) == []
    with pytest.raises(NotFound) as unknown:
        await call(s.outsider)
    assert unknown.value.code == "unknown_tool"
    assert await tools(s.team_editor) == ["payroll"] == await tools(owner)
    assert (await call(s.team_editor)).created

    # A read grant lists the tool; calling it needs agents:execute on the agent.
    session.add(
        AgentGrant(org_id=owner.org_id, agent_id=s.agent_id, user_id=s.outsider.user_id, permissions=[READ])
    )
    await session.flush()
    assert await tools(s.outsider) == ["payroll"]
    with pytest.raises(Forbidden):
        await call(s.outsider)


@pytest.mark.parametrize("permission", [Permission.agents_access_all])
async def test_a_custom_role_with_access_all_reaches_restricted_agents(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
    permission: Permission,
) -> None:
    s = await restricted_agent(session, settings, owner)
    auditor = await add_custom_role_member(
        session, settings, owner.org_id, {Permission.agents_read, Permission.executions_read, permission}
    )
    plain = await add_custom_role_member(
        session, settings, owner.org_id, {Permission.agents_read, Permission.executions_read}
    )
    assert (await client.get(f"/agents/{s.agent_id}", headers=auditor.headers)).status_code == 200
    assert (await client.get(f"/executions/{s.execution_id}", headers=auditor.headers)).status_code == 200
    assert (await client.get(f"/agents/{s.agent_id}", headers=plain.headers)).status_code == 404


def calling(agent_id: uuid.UUID) -> dict[str, Any]:
    """An agent whose AI step may run `agent_id` as a tool."""
    return {
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"kind": "manual"}},
            {
                "id": "ask",
                "type": "ai",
                "config": {
                    "operation": "chat",
                    "model": "gpt-4o-mini",
                    "prompt": "Ask the payroll agent",
                    "tools": [{"type": "agent", "agent_id": str(agent_id), "name": "payroll"}],
                },
            },
        ],
        "edges": [{"source": "start", "target": "ask"}],
    }


async def test_an_agent_tool_may_name_only_a_restricted_agent_the_author_may_run(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    """Otherwise publishing (or test-running) an agent of one's own would run the restricted one for them."""
    s = await restricted_agent(session, settings, owner)
    created = await client.post(
        "/agents", json={"name": "Sneaky", "definition": calling(s.agent_id)}, headers=s.outsider.headers
    )
    assert created.status_code == 201, created.text
    sneaky = created.json()["id"]

    published = await client.post(
        f"/agents/{sneaky}/publish", json={"message": ""}, headers=s.outsider.headers
    )
    assert published.status_code == 422 and "unknown_agent" in published.text, published.text
    tested = await client.post(f"/agents/{sneaky}/test", json={"input": {}}, headers=s.outsider.headers)
    assert tested.status_code == 422 and tested.json()["error"]["code"] == "unknown_agent", tested.text

    reader = {"user_id": str(s.outsider.user_id), "permissions": [READ]}
    await put_access(client, owner, s.agent_id, {"restricted": True, "grants": [reader]})
    still = await client.post(f"/agents/{sneaky}/publish", json={"message": ""}, headers=s.outsider.headers)
    assert still.status_code == 422, still.text

    runner = {"user_id": str(s.outsider.user_id), "permissions": [EXECUTE]}
    await put_access(client, owner, s.agent_id, {"restricted": True, "grants": [runner]})
    tested = await client.post(f"/agents/{sneaky}/test", json={"input": {}}, headers=s.outsider.headers)
    assert tested.status_code == 202, tested.text
    allowed = await client.post(f"/agents/{sneaky}/publish", json={"message": ""}, headers=s.outsider.headers)
    assert allowed.status_code == 201, allowed.text


async def test_an_executions_export_holds_only_runs_of_agents_the_requester_may_read(
    client: httpx.AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    settings: Settings,
    owner: Member,
) -> None:
    s = await restricted_agent(session, settings, owner)
    open_agent = await create_agent(session, owner, name="Open")
    open_run = await add_execution(
        session, org_id=owner.org_id, agent_id=open_agent, created_at=datetime.now(UTC)
    )
    exporter = await add_custom_role_member(
        session, settings, owner.org_id, {Permission.exports_create, Permission.agents_read}
    )
    sessions = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(days=30)).isoformat(), "to": (now + timedelta(minutes=1)).isoformat()}

    async def exported(member: Member) -> set[str]:
        body = {"kind": "executions", "format": "json", **window}
        created = await client.post("/exports", json=body, headers=member.headers)
        assert created.status_code == 202, created.text
        export_id = uuid.UUID(created.json()["id"])
        assert await run_export(sessions, settings, export_store(settings), export_id) is not None
        export = await session.get(Export, export_id, populate_existing=True)
        assert export is not None and export.file_key is not None
        data = await export_store(settings).get(export.file_key)
        return {row["id"] for row in orjson.loads(data)}

    assert await exported(exporter) == {str(open_run)}
    assert await exported(owner) == {str(open_run), str(s.execution_id)}


async def test_an_approval_of_a_restricted_agent_is_told_only_to_those_who_may_read_it(
    session: AsyncSession, settings: Settings, owner: Member
) -> None:
    """The worker's own statement (not the ORM) applies the same rule: a role named as approvers is told
    only through members who may read the agent; the owner (agents:access_all) always is."""
    s = await restricted_agent(session, settings, owner)
    granted = await add_member(session, settings, owner.org_id, Role.editor)
    session.add(
        AgentGrant(org_id=owner.org_id, agent_id=s.agent_id, user_id=granted.user_id, permissions=[EXECUTE])
    )
    auditor = await add_custom_role_member(
        session, settings, owner.org_id, {Permission.agents_read, Permission.agents_access_all}
    )
    execution = await session.get(Execution, s.execution_id)
    assert execution is not None
    execution.status = ExecutionStatus.running
    await session.flush()
    raw = await (await session.connection()).get_raw_connection()
    store = EngineStore(ConnectionReader(raw.driver_connection))
    waiting = {"kind": "approval", "node_id": "ask", "step_key": "ask", "approvers": ["role:editor"]}
    notice = approval_notice(execution_id=s.execution_id, attempt=1, agent_name="Payroll", waiting=waiting)
    recipients = Recipients.with_roles(Role.editor, Role.owner) | Recipients.users([auditor.user_id])
    await store.mark_paused(s.execution_id, waiting, notice=notice, recipients=recipients)

    told = set(
        (
            await session.scalars(
                select(Notification.user_id).where(
                    Notification.org_id == owner.org_id, Notification.kind == "approval.requested"
                )
            )
        ).all()
    )
    assert told == {s.team_editor.user_id, granted.user_id, owner.user_id, auditor.user_id}
    assert s.outsider.user_id not in told
