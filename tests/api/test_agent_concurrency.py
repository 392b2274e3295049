"""Two editors never silently overwrite each other: If-Match / revision, 409 edit_conflict, 428."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.rbac import Role
from tests.factories import Member, add_member, create_agent, triage_definition


async def test_second_editor_with_the_same_etag_gets_a_conflict(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member
) -> None:
    alice = await add_member(session, settings, owner.org_id, Role.editor)
    bob = await add_member(session, settings, owner.org_id, Role.editor)
    agent_id = await create_agent(session, owner)
    alice_view = await client.get(f"/agents/{agent_id}", headers=alice.headers)
    bob_view = await client.get(f"/agents/{agent_id}", headers=bob.headers)
    assert alice_view.headers["ETag"] == bob_view.headers["ETag"] == '"1"'

    alice_draft = triage_definition(prompt="Alice: {{start.output.body.text}}")
    saved = await client.put(
        f"/agents/{agent_id}",
        json={"definition": alice_draft},
        headers={**alice.headers, "If-Match": alice_view.headers["ETag"]},
    )
    assert saved.status_code == 200 and saved.headers["ETag"] == '"2"'

    lost = await client.put(
        f"/agents/{agent_id}",
        json={"definition": triage_definition(prompt="Bob: {{start.output.body.text}}"), "name": "Bob's"},
        headers={**bob.headers, "If-Match": bob_view.headers["ETag"]},
    )
    assert lost.status_code == 409
    error = lost.json()["error"]
    assert error["code"] == "edit_conflict"
    assert error["details"] == {"current_revision": 2, "your_revision": 1}
    assert "revision 2" in error["message"] and lost.headers["ETag"] == '"2"'

    current = (await client.get(f"/agents/{agent_id}", headers=bob.headers)).json()
    assert current["draft"] == alice_draft and current["name"] == "Triage"  # nothing of Bob's got in
    assert current["updated_by"] == str(alice.user_id)

    retried = await client.put(
        f"/agents/{agent_id}", json={"name": "Bob's", "revision": 2}, headers=bob.headers
    )  # the body's `revision` works like If-Match
    assert retried.status_code == 200 and retried.json()["draft"] == alice_draft
    assert retried.json()["name"] == "Bob's" and retried.json()["draft_revision"] == 3


async def test_an_edit_must_say_what_it_is_based_on(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member
) -> None:
    agent_id = await create_agent(session, owner)
    blind = await client.put(f"/agents/{agent_id}", json={"name": "Blind"}, headers=owner.headers)
    assert blind.status_code == 428 and blind.json()["error"]["code"] == "precondition_required"
    weak = await client.put(
        f"/agents/{agent_id}", json={"name": "Weak"}, headers={**owner.headers, "If-Match": 'W/"1"'}
    )
    assert weak.status_code == 200
    garbage = await client.put(
        f"/agents/{agent_id}", json={"name": "X"}, headers={**owner.headers, "If-Match": '"abc"'}
    )
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "invalid_if_match"
    disagree = await client.put(
        f"/agents/{agent_id}", json={"name": "X", "revision": 1}, headers={**owner.headers, "If-Match": '"2"'}
    )
    assert disagree.status_code == 400 and disagree.json()["error"]["code"] == "conflicting_revision"
    assert (await client.get(f"/agents/{agent_id}", headers=owner.headers)).json()["name"] == "Weak"
