"""SSO sign-in through the loopback WorkOS (the official SDK on the wire): the settings, the redirect, the
callback's refusals, provisioning, and enforced SSO refusing passwords (owners keep theirs)."""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.service import auth_service
from agentflow.config import Settings
from agentflow.egress import EgressPolicy
from agentflow.models import Organization, OrgMembership, RefreshToken, User
from agentflow.rbac import Role
from agentflow.sso import state as sso_state
from agentflow.sso.client import workos_client
from agentflow.sso.service import callback_url
from tests.api.sso_helpers import REFRESH, connect, error_of, sign_in, start, through_idp
from tests.factories import PASSWORD, Member, add_member, create_org_with_owner, create_user
from tests.fakes import workos_fixtures
from tests.fakes.cases import LOOPBACK_EGRESS
from tests.fakes.workos_api import CLIENT_ID, FakeWorkOS

workos_server = workos_fixtures.workos_server
workos_fake = workos_fixtures.workos_fake
sso_settings = workos_fixtures.sso_settings
sso_app = workos_fixtures.sso_app


async def slug_of(session: AsyncSession, member: Member) -> str:
    org = await session.get(Organization, member.org_id)
    assert org is not None
    return org.slug


async def test_settings_need_a_workos_organization_with_verified_domains(
    sso_app: FastAPI, client: httpx.AsyncClient, workos_fake: FakeWorkOS, owner: Member
) -> None:
    empty = await client.get("/org/sso", headers=owner.headers)
    assert empty.json()["configured"] is False and empty.json()["available"] is True

    unknown = await client.put(
        "/org/sso", json={"workos_organization_id": "org_01NOPE", "enforce": False}, headers=owner.headers
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "workos_organization_not_found"

    workos_org = workos_fake.add_organization(verified=["acme-sso.test"], pending=["pending.test"])
    for domains in (["pending.test"], ["gmail.com"]):
        refused = await client.put(
            "/org/sso",
            json={"workos_organization_id": workos_org, "enforce": True, "domains": domains},
            headers=owner.headers,
        )
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "domain_not_verified"
    malformed = await client.put(
        "/org/sso", json={"workos_organization_id": "not-an-id", "enforce": True}, headers=owner.headers
    )
    assert malformed.status_code == 422
    too_many = await client.put(
        "/org/sso",
        json={"workos_organization_id": workos_org, "domains": [f"d{i}.test" for i in range(51)]},
        headers=owner.headers,
    )
    assert too_many.status_code == 422

    saved = await client.put(
        "/org/sso", json={"workos_organization_id": workos_org, "enforce": True}, headers=owner.headers
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["configured"] and body["enforce"] and body["domains"] == ["acme-sso.test"]
    assert body["workos_organization_id"] == workos_org and body["default_role"] == "viewer"
    assert (await client.get("/org/sso", headers=owner.headers)).json() == body


async def test_another_orgs_workos_organization_and_domains_cannot_be_claimed(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    settings: Settings,
    owner: Member,
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    attacker = await create_org_with_owner(session, settings, name="Attacker")
    stolen = await client.put(
        "/org/sso", json={"workos_organization_id": workos_org, "enforce": False}, headers=attacker.headers
    )
    assert stolen.status_code == 404 and owner.org_name not in stolen.text
    # A second WorkOS organization verifying the same domain still cannot take it from the first org.
    other = workos_fake.add_organization(verified=[domain])
    taken = await client.put(
        "/org/sso", json={"workos_organization_id": other, "enforce": False}, headers=attacker.headers
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "domain_taken"


async def test_authorize_redirects_to_workos_with_a_browser_bound_state(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    workos_server: tuple[FakeWorkOS, str],
    session: AsyncSession,
    sso_settings: Settings,
    owner: Member,
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    for query in ({"org": await slug_of(session, owner)}, {"email": f"grace@{domain}"}):
        response = await start(client, **query)
        assert response.status_code == 302, response.text
        location = urlsplit(response.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == f"{workos_server[1]}/sso/authorize"
        params = {k: v[0] for k, v in parse_qs(location.query).items()}
        assert params["client_id"] == CLIENT_ID and params["organization"] == workos_org
        assert (
            params["redirect_uri"]
            == callback_url(sso_settings)
            == "http://testserver/api/v1/auth/sso/callback"
        )
        assert params["response_type"] == "code" and params["state"]
        cookie = response.headers["set-cookie"]
        assert "agentflow_sso_state=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert "Path=/api/v1/auth/sso" in cookie
    for query in ({"org": "no-such-org"}, {"email": "someone@elsewhere.test"}, {}):
        refused = await start(client, **query)
        assert error_of(refused) in ("sso_not_set_up", "sso_org_required")
        assert "workos" not in refused.headers["location"]
    too_long = await start(client, org="x" * 81)
    assert too_long.status_code == 422


async def test_sso_off_answers_sso_not_configured(
    app: FastAPI, client: httpx.AsyncClient, owner: Member
) -> None:
    assert error_of(await start(client, org="acme")) == "sso_not_configured"
    put = await client.put(
        "/org/sso", json={"workos_organization_id": "org_01ABC", "enforce": True}, headers=owner.headers
    )
    assert put.status_code == 503 and put.json()["error"]["code"] == "sso_not_configured"
    hook = await client.post("/auth/sso/webhook", content=b"{}", headers={"WorkOS-Signature": "t=1, v1=x"})
    assert hook.status_code == 503


async def test_callback_provisions_the_user_and_signs_them_in_like_a_login(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    owner: Member,
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    email = f"Grace@{domain}"
    done = await sign_in(
        client, workos_fake, await slug_of(session, owner), email=email, organization_id=workos_org
    )
    assert error_of(done) is None and done.headers["location"] == "http://testserver/sso/complete"
    assert client.cookies.get(REFRESH, path="/api/v1/auth")
    # The code went back to WorkOS with the client id and the API key as the client secret.
    token_call = next(body for method, path, body in workos_fake.requests if path == "/sso/token")
    assert token_call["grant_type"] == "authorization_code" and token_call["client_id"] == CLIENT_ID

    refreshed = await client.post("/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    tokens = refreshed.json()
    assert tokens["user"]["email"] == email.lower() and tokens["role"] == "viewer"
    assert tokens["user"]["full_name"] == "Grace Hopper" and tokens["org"]["id"] == str(owner.org_id)
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == "viewer"
    user = await session.scalar(select(User).where(User.email == email.lower()))
    assert user is not None and user.password_hash is None
    methods = set(
        await session.scalars(select(RefreshToken.auth_method).where(RefreshToken.user_id == user.id))
    )
    assert methods == {"sso"}

    # Signing in again finds the same account and membership.
    again = await sign_in(
        client, workos_fake, await slug_of(session, owner), email=email, organization_id=workos_org
    )
    assert error_of(again) is None
    count = await session.scalar(select(OrgMembership.id).where(OrgMembership.user_id == user.id))
    assert count is not None


async def test_an_open_invitation_gives_its_role_to_the_sso_sign_in(
    sso_app: FastAPI, client: httpx.AsyncClient, workos_fake: FakeWorkOS, session: AsyncSession, owner: Member
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    email = f"lin@{domain}"
    invited = await client.post(
        "/org/members/invite", json={"email": email, "role": "editor"}, headers=owner.headers
    )
    assert invited.status_code == 201, invited.text
    done = await sign_in(
        client, workos_fake, await slug_of(session, owner), email=email, organization_id=workos_org
    )
    assert error_of(done) is None
    assert (await client.post("/auth/refresh")).json()["role"] == "editor"
    assert (await client.get(f"/invitations/{invited.json()['token']}")).status_code == 404  # used up


async def test_callback_refuses_another_organization_an_unverified_domain_and_bad_codes(
    sso_app: FastAPI, client: httpx.AsyncClient, workos_fake: FakeWorkOS, session: AsyncSession, owner: Member
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    slug = await slug_of(session, owner)
    other_org = workos_fake.add_organization(verified=["elsewhere.test"])
    cases = [
        ({"email": f"eve@{domain}", "organization_id": other_org}, "sso_wrong_organization"),
        ({"email": f"eve@{domain}", "organization_id": None}, "sso_wrong_organization"),
        ({"email": "eve@gmail.com", "organization_id": workos_org}, "sso_domain_not_allowed"),
        ({"email": f"eve@evil-{domain}", "organization_id": workos_org}, "sso_domain_not_allowed"),
    ]
    for profile, code in cases:
        refused = await sign_in(client, workos_fake, slug, **profile)  # type: ignore[arg-type]
        assert error_of(refused) == code
        assert "set-cookie" not in refused.headers or REFRESH not in refused.headers["set-cookie"]
    assert await session.scalar(select(User).where(User.email.like("eve@%"))) is None

    # A code is single-use, as at WorkOS.
    started = await start(client, org=slug)
    workos_fake.next_profile(email=f"ada@{domain}", organization_id=workos_org)
    back = await through_idp(started.headers["location"])
    assert error_of(await client.get(back)) is None
    # The same link again, even from the browser that started it (its state cookie restored): WorkOS
    # refuses the used code.
    state = parse_qs(urlsplit(back).query)["state"][0]
    nonce = json.loads(base64.urlsafe_b64decode(state.split(".")[0] + "=="))["n"]
    client.cookies.set("agentflow_sso_state", nonce, domain="testserver.local", path="/api/v1/auth/sso")
    replay = await client.get(back)
    assert error_of(replay) == "sso_code_invalid"
    # A made-up code, with a valid state and cookie: WorkOS answers invalid_grant.
    started = await start(client, org=slug)
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    made_up = await client.get("/auth/sso/callback", params={"code": "code_forged", "state": state})
    assert error_of(made_up) == "sso_code_invalid"
    # The IdP said no.
    cancelled = await client.get("/auth/sso/callback", params={"error": "access_denied", "state": state})
    assert error_of(cancelled) == "sso_cancelled"


async def test_forged_expired_and_foreign_states_are_refused(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    sso_settings: Settings,
    owner: Member,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    started = await start(client, org=await slug_of(session, owner))
    workos_fake.next_profile(email=f"mal@{domain}", organization_id=workos_org)
    back = await through_idp(started.headers["location"])
    query = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
    payload, _, mac = query["state"].partition(".")

    forged = await client.get("/auth/sso/callback", params={**query, "state": f"{payload}.{mac[:-2]}AA"})
    assert error_of(forged) == "sso_state_invalid"
    garbage = await client.get("/auth/sso/callback", params={**query, "state": "garbage"})
    assert error_of(garbage) == "sso_state_invalid"

    # Login CSRF: the same link opened in a browser that did not start the sign-in (no state cookie).
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sso_app), base_url="http://testserver/api/v1"
    ) as victim:
        foreign = await victim.get("/auth/sso/callback", params=query)
        assert error_of(foreign) == "sso_state_invalid" and REFRESH not in victim.cookies

    # A state signed (for this browser) longer ago than the sign-in may take.
    later = time.time() + sso_settings.sso_state_minutes * 60 + 1
    stale, nonce = sso_state.sign(sso_settings, org_id=owner.org_id)
    monkeypatch.setattr(sso_state, "time", SimpleNamespace(time=lambda: later))
    client.cookies.set("agentflow_sso_state", nonce, domain="testserver.local", path="/api/v1/auth/sso")
    expired = await client.get("/auth/sso/callback", params={"code": query["code"], "state": stale})
    assert error_of(expired) == "sso_state_expired"
    # Nothing was signed in by any of these.
    assert await session.scalar(select(User).where(User.email == f"mal@{domain}")) is None


async def login(client: httpx.AsyncClient, email: str, **extra: object) -> httpx.Response:
    return await client.post("/auth/login", json={"email": email, "password": PASSWORD, **extra})


async def test_enforced_sso_refuses_passwords_to_members_and_owners_keep_theirs(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    sso_settings: Settings,
    owner: Member,
) -> None:
    editor = await add_member(session, sso_settings, owner.org_id, Role.editor)
    # A password session the editor had before SSO was enforced.
    editor_user = await session.get(User, editor.user_id)
    org = await session.get(Organization, owner.org_id)
    assert editor_user is not None and org is not None
    before = await auth_service.issue(session, sso_settings, user=editor_user, org=org, role=Role.editor)
    await connect(client, workos_fake, owner, enforce=True)

    refused = await login(client, editor.email)
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "sso_required" and error["details"]["sso_url"].startswith(
        "/api/v1/auth/sso/authorize"
    )
    named = await login(client, editor.email, org_id=str(owner.org_id))
    assert named.status_code == 403 and named.json()["error"]["code"] == "sso_required"
    wrong_password = await client.post("/auth/login", json={"email": editor.email, "password": "nope-nope"})
    assert wrong_password.status_code == 401  # no hint about SSO without the password

    client.cookies.set(REFRESH, before.refresh_token, path="/api/v1/auth")
    stale = await client.post("/auth/refresh")
    assert stale.status_code == 401  # revoked when SSO was enforced

    # Break-glass: the owner still signs in with the password.
    assert (await login(client, owner.email)).status_code == 200


async def test_a_member_of_several_orgs_signs_in_to_one_that_takes_passwords(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    sso_settings: Settings,
    owner: Member,
) -> None:
    user = await create_user(session)
    member = await add_member(session, sso_settings, owner.org_id, Role.viewer, user=user)
    elsewhere = await create_org_with_owner(session, sso_settings, name="Side project")
    await add_member(session, sso_settings, elsewhere.org_id, Role.editor, user=user)
    await connect(client, workos_fake, owner, enforce=True)
    signed = await login(client, member.email)
    assert signed.status_code == 200 and signed.json()["org"]["id"] == str(elsewhere.org_id)
    token = signed.json()["access_token"]
    switch = await client.post(
        "/auth/switch-org", json={"org_id": str(owner.org_id)}, headers={"Authorization": f"Bearer {token}"}
    )
    assert switch.status_code == 403 and switch.json()["error"]["code"] == "sso_required"
    # A password session of the other org refreshes as before.
    assert (await client.post("/auth/refresh")).status_code == 200


async def test_enforced_sso_refuses_password_invitations_but_not_owner_ones(
    sso_app: FastAPI, client: httpx.AsyncClient, workos_fake: FakeWorkOS, session: AsyncSession, owner: Member
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner, enforce=True)
    member_invite = await client.post(
        "/org/members/invite", json={"email": f"new@{domain}", "role": "editor"}, headers=owner.headers
    )
    token = member_invite.json()["token"]
    refused = await client.post(f"/invitations/{token}/accept", json={"password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "sso_required"
    assert await session.scalar(select(User).where(User.email == f"new@{domain}")) is None
    # They join through SSO instead, with the invitation's role.
    done = await sign_in(
        client, workos_fake, await slug_of(session, owner), email=f"new@{domain}", organization_id=workos_org
    )
    assert error_of(done) is None and (await client.post("/auth/refresh")).json()["role"] == "editor"

    owner_invite = await client.post(
        "/org/members/invite", json={"email": "cofounder@example.com", "role": "owner"}, headers=owner.headers
    )
    accepted = await client.post(
        f"/invitations/{owner_invite.json()['token']}/accept", json={"password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text


async def test_a_wrong_api_key_and_refused_egress_are_workos_unavailable(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    sso_settings: Settings,
    owner: Member,
) -> None:
    workos_org, domain = await connect(client, workos_fake, owner)
    slug = await slug_of(session, owner)
    good = sso_app.state.workos
    wrong = sso_settings.model_copy(update={"workos_api_key": SecretStr("sk_test_wrong")})
    sso_app.state.workos = workos_client(wrong, LOOPBACK_EGRESS)
    try:
        # WorkOS refuses the code exchange with this client secret (401 invalid_client), like the real one.
        refused = await sign_in(client, workos_fake, slug, email=f"ada@{domain}", organization_id=workos_org)
        assert error_of(refused) == "workos_unavailable"
        put = await client.put(
            "/org/sso", json={"workos_organization_id": workos_org, "enforce": False}, headers=owner.headers
        )
        assert put.status_code == 503 and put.json()["error"]["code"] == "workos_unavailable"
        assert "sk_test" not in put.text
        # WorkOS is reached through the egress guard: without the operator's allowlist, loopback is refused.
        sso_app.state.workos = workos_client(sso_settings, EgressPolicy.build(""))
        guarded = await client.put(
            "/org/sso", json={"workos_organization_id": workos_org, "enforce": False}, headers=owner.headers
        )
        assert guarded.status_code == 503 and guarded.json()["error"]["code"] == "workos_unavailable"
    finally:
        sso_app.state.workos = good
    assert await session.scalar(select(User).where(User.email == f"ada@{domain}")) is None


async def test_disconnecting_sso_accepts_passwords_again_and_frees_the_domains(
    sso_app: FastAPI,
    client: httpx.AsyncClient,
    workos_fake: FakeWorkOS,
    session: AsyncSession,
    sso_settings: Settings,
    owner: Member,
) -> None:
    editor = await add_member(session, sso_settings, owner.org_id, Role.editor)
    _, domain = await connect(client, workos_fake, owner, enforce=True)
    assert (await login(client, editor.email)).status_code == 403

    refused = await client.delete("/org/sso", headers=editor.headers)
    assert refused.status_code == 403  # sso:manage is the owners'
    assert (await client.delete("/org/sso", headers=owner.headers)).status_code == 204
    settings_now = (await client.get("/org/sso", headers=owner.headers)).json()
    assert settings_now["configured"] is False and settings_now["domains"] == []
    assert (await login(client, editor.email)).status_code == 200  # passwords again
    again = await client.delete("/org/sso", headers=owner.headers)
    assert again.status_code == 204  # nothing left to disconnect: still 204

    # Another org may now sign in the same domain.
    other = await create_org_with_owner(session, sso_settings, name="Next owner of the domain")
    await connect(client, workos_fake, other, domain=domain)
    assert (await client.get("/org/sso", headers=other.headers)).json()["domains"] == [domain]
