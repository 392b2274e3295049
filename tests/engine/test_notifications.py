"""An execution that pauses at an approval notifies the people who may decide, in-app and by email from the
worker (a real SMTP server), once however often the run is resumed; nobody else."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from agentflow.rbac import ROLE_PERMISSIONS, Role
from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.factories import PASSWORD
from tests.support.mailbox import Mailbox, text_of
from tests.support.outside import Outside

pytestmark = pytest.mark.xdist_group("engine")


def asking(outside: Outside, approvers: list[str]) -> dict[str, object]:
    return {
        "nodes": [
            node("start", "trigger", kind="api"),
            node(
                "ask", "human.approval", message="Refund {{trigger.output.amount}} EUR?", approvers=approvers
            ),
            node("done", "action.http", url=outside.url + "/done"),
        ],
        "edges": [edge("start", "ask"), edge("ask", "done", "approved")],
    }


async def mail_to(mailbox: Mailbox, address: str, *, within: float = 30) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = mailbox.to(address)
        if found:
            assert len(found) == 1, [m["Subject"] for m in found]
            return f"Subject: {found[0]['Subject']}\n\n{text_of(found[0])}"
        await asyncio.sleep(0.1)
    raise AssertionError(f"no email to {address} within {within}s")


async def test_a_paused_approval_notifies_its_approvers_once(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    agent = await tenant.agent(asking(outside, ["role:owner"]), name="Refunds")
    execution_id = await tenant.run(agent["id"], {"amount": 120})
    await tenant.wait(execution_id, "paused")

    listed = (await tenant.client.get("/notifications")).json()
    (item,) = listed["items"]
    assert item["kind"] == "approval.requested" and item["link"] == f"/executions/{execution_id}"
    assert item["title"] == "Approval needed: Refunds" and "ask" in item["body"]
    assert listed["unread_count"] == 1
    email = await mail_to(engine_api.mailbox, tenant.email)
    assert "Subject: Approval needed: Refunds" in email
    assert f"{engine_api.api_url.removesuffix('/api/v1')}/executions/{execution_id}" in email
    assert "120" not in email  # the question quotes run data: it stays behind sign-in

    decided = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
    assert decided.status_code == 200, decided.text
    assert (await tenant.wait(execution_id))["status"] == "completed"
    assert len((await tenant.client.get("/notifications")).json()["items"]) == 1
    assert len(engine_api.mailbox.to(tenant.email)) == 1


async def test_an_approval_for_someone_else_notifies_nobody_here(tenant: Tenant, outside: Outside) -> None:
    agent = await tenant.agent(asking(outside, [str(uuid.uuid4())]), name="Elsewhere")
    execution_id = await tenant.run(agent["id"], {"amount": 5})
    await tenant.wait(execution_id, "paused")
    assert (await tenant.client.get("/notifications")).json()["items"] == []
    await tenant.client.post(f"/executions/{execution_id}/cancel")


async def member_with_custom_role(tenant: Tenant, name: str, permissions: list[str]) -> tuple[str, str]:
    """A new member of the tenant's org holding a new custom role: their email and access token."""
    made = await tenant.client.post("/org/roles", json={"name": name, "permissions": permissions})
    assert made.status_code == 201, made.text
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    invited = await tenant.client.post("/org/members/invite", json={"email": email, "role": name})
    assert invited.status_code == 201, invited.text
    async with httpx.AsyncClient(base_url=str(tenant.client.base_url)) as invitee:
        accepted = await invitee.post(
            f"/invitations/{invited.json()['token']}/accept", json={"password": PASSWORD, "full_name": name}
        )
    assert accepted.status_code == 200, accepted.text
    return email, accepted.json()["access_token"]


async def notices(tenant: Tenant, token: str) -> list[str]:
    async with httpx.AsyncClient(base_url=str(tenant.client.base_url)) as member:
        listed = await member.get("/notifications", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text
    return [item["title"] for item in listed.json()["items"]]


async def test_custom_roles_acting_as_an_approver_role_are_notified(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    """`role:editor` reaches a custom role holding every editor permission (it may decide), not a narrower
    one (it may not)."""
    editor_like = sorted(p.value for p in ROLE_PERMISSIONS[Role.editor])
    broad, broad_token = await member_with_custom_role(tenant, "Operators", editor_like)
    reading = ["agents:read", "executions:read", "notifications:read"]
    narrow, narrow_token = await member_with_custom_role(tenant, "Watchers", reading)
    agent = await tenant.agent(asking(outside, ["role:editor"]), name="Custom")
    execution_id = await tenant.run(agent["id"], {"amount": 7})
    await tenant.wait(execution_id, "paused")
    assert "Approval needed: Custom" in await mail_to(engine_api.mailbox, broad)
    assert "Approval needed: Custom" in await mail_to(engine_api.mailbox, tenant.email)  # the owner
    assert await notices(tenant, broad_token) == ["Approval needed: Custom"]
    assert await notices(tenant, narrow_token) == []  # recorded with the pause: none is coming
    assert engine_api.mailbox.to(narrow) == []
    await tenant.client.post(f"/executions/{execution_id}/cancel")
