"""Signup, login, me, refresh rotation and reuse detection, logout, switch-org, throttling."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.throttle import backoff_key
from agentflow.config import Settings
from agentflow.models import LoginThrottle
from agentflow.rbac import Role
from tests.factories import PASSWORD, add_member, create_org

REFRESH = "agentflow_refresh"


async def signup(
    client: httpx.AsyncClient, email: str = "ada@example.com", org: str = "Acme"
) -> httpx.Response:
    return await client.post("/auth/signup", json={"email": email, "password": PASSWORD, "org_name": org})


async def test_signup_login_me_refresh_logout(client: httpx.AsyncClient) -> None:
    created = await signup(client, "Ada@Example.com")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["email"] == "ada@example.com"
    assert body["org"]["name"] == "Acme" and body["org"]["slug"].startswith("acme")
    assert body["role"] == "owner"
    cookie = created.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/api/v1/auth" in cookie

    login = await client.post("/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]

    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    me_body = me.json()
    assert me_body["user"]["email"] == "ada@example.com"
    assert me_body["org"]["id"] == body["org"]["id"]
    assert me_body["role"] == "owner" and "members:invite" in me_body["permissions"]
    assert [m["org"]["id"] for m in me_body["memberships"]] == [body["org"]["id"]]
    assert me_body["auth_method"] == "token"

    first_refresh = client.cookies.get(REFRESH, path="/api/v1/auth")
    refreshed = await client.post("/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"] != token
    assert client.cookies.get(REFRESH, path="/api/v1/auth") != first_refresh

    logout = await client.post("/auth/logout")
    assert logout.status_code == 204
    assert client.cookies.get(REFRESH, path="/api/v1/auth") is None
    client.cookies.set(REFRESH, first_refresh, path="/api/v1/auth")
    after = await client.post("/auth/refresh")
    assert after.status_code == 401


async def test_reusing_a_refresh_token_revokes_the_family(client: httpx.AsyncClient) -> None:
    await signup(client)
    stolen = client.cookies.get(REFRESH, path="/api/v1/auth")
    assert (await client.post("/auth/refresh")).status_code == 200
    legit = client.cookies.get(REFRESH, path="/api/v1/auth")
    client.cookies.clear()
    client.cookies.set(REFRESH, stolen, path="/api/v1/auth")

    reuse = await client.post("/auth/refresh")
    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "invalid_refresh_token"
    # The legitimate holder's newer token died with the family.
    client.cookies.clear()
    client.cookies.set(REFRESH, legit, path="/api/v1/auth")
    assert (await client.post("/auth/refresh")).status_code == 401


async def test_refresh_without_cookie_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/refresh")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_duplicate_signup_is_409(client: httpx.AsyncClient) -> None:
    assert (await signup(client)).status_code == 201
    again = await signup(client, "ADA@example.com", "Other")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"


async def test_wrong_password_is_401_and_repeated_failures_lock_out(client: httpx.AsyncClient) -> None:
    await signup(client)
    bad = {"email": "ada@example.com", "password": "wrong password"}
    first = await client.post("/auth/login", json=bad)
    assert first.status_code == 401
    assert first.json()["error"]["message"] == "Incorrect email or password"
    await client.post("/auth/login", json=bad)
    locked = await client.post("/auth/login", json=bad)  # third failure reaches the limit of 3
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    # Even the right password is refused while locked: the lock is per email + IP.
    right = await client.post("/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert right.status_code == 429


def from_ip(app: FastAPI, ip: str) -> httpx.AsyncClient:
    """A client whose requests come from `ip` (what the API's ClientIP dependency reads)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1")


async def login_from(app: FastAPI, ip: str, email: str, password: str) -> httpx.Response:
    async with from_ip(app, ip) as client:
        return await client.post("/auth/login", json={"email": email, "password": password})


async def end_backoff(session: AsyncSession, email: str) -> None:
    """Move the per-email back-off into the past, as if its delay had been waited out."""
    await session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == backoff_key(email))
        .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
    )


async def test_rotating_ips_get_a_per_email_back_off_before_the_password_is_checked(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    # A first delay long enough that no test machine is slow enough to wait it out between two requests.
    app.state.settings = settings.model_copy(update={"login_backoff_base_seconds": 20.0})
    await signup(client)
    email = "ada@example.com"
    assert settings.login_backoff_after == 10
    for n in range(10):  # a new address per guess: the per email+IP lock-out never triggers
        guess = await login_from(app, f"203.0.113.{n + 1}", email, f"guess {n}")
        assert guess.status_code == 401, guess.text

    # Guess 11, from yet another address, is refused before its password is looked at: even the right one.
    held = await login_from(app, "198.51.100.7", email, PASSWORD)
    assert held.status_code == 429, held.text
    assert held.json()["error"]["code"] == "rate_limited"
    first_wait = int(held.headers["retry-after"])
    assert 1 <= first_wait <= 20

    # After the back-off one try is allowed again; failing it doubles the wait, capped at 60 s.
    waits = []
    for n in range(3):
        await end_backoff(session, email)
        late = await login_from(app, f"198.51.100.{n + 10}", email, f"late guess {n}")
        assert late.status_code == 401, late.text
        again = await login_from(app, "198.51.100.9", email, "next guess")
        assert again.status_code == 429
        waits.append(int(again.headers["retry-after"]))
    assert all(wait <= 60 for wait in waits) and waits[-1] > first_wait

    # The owner, once the wait is over, signs in; that resets the back-off.
    await end_backoff(session, email)
    assert (await login_from(app, "192.0.2.1", email, PASSWORD)).status_code == 200
    assert (await login_from(app, "192.0.2.2", email, "a typo")).status_code == 401
    assert (await login_from(app, "192.0.2.3", email, PASSWORD)).status_code == 200


async def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/login", json={"email": "nobody@example.com", "password": "whatever"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Incorrect email or password"


async def test_switch_org(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    body = (await signup(client)).json()
    token = body["access_token"]
    other = await create_org(session, name="Second Org")
    user_id = uuid.UUID(body["user"]["id"])
    from agentflow.models import User

    user = await session.get(User, user_id)
    assert user is not None
    await add_member(session, settings, other.id, Role.viewer, user=user)

    switched = await client.post(
        "/auth/switch-org", json={"org_id": str(other.id)}, headers={"Authorization": f"Bearer {token}"}
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["org"]["id"] == str(other.id)
    assert switched.json()["role"] == "viewer"
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {switched.json()['access_token']}"})
    assert me.json()["org"]["id"] == str(other.id)
    assert len(me.json()["memberships"]) == 2

    stranger = await create_org(session, name="Not mine")
    refused = await client.post(
        "/auth/switch-org", json={"org_id": str(stranger.id)}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 404


async def test_login_into_a_chosen_org(client: httpx.AsyncClient) -> None:
    await signup(client)
    missing = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": PASSWORD, "org_id": str(uuid.uuid4())}
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer not-a-jwt", "invalid_token"),
        ("Bearer af_not_a_real_key", "invalid_api_key"),
        ("Basic dXNlcjpwYXNz", "not_authenticated"),
    ],
)
async def test_bad_credentials_are_401(client: httpx.AsyncClient, header: str, code: str) -> None:
    response = await client.get("/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


async def test_expired_and_forged_tokens_are_401(client: httpx.AsyncClient, settings: Settings) -> None:
    body = (await signup(client)).json()
    claims = {
        "sub": body["user"]["id"],
        "org": body["org"]["id"],
        "typ": "access",
        "iss": settings.jwt_issuer,
        "aud": "agentflow-api",
    }
    secret = settings.jwt_secret.get_secret_value()
    expired = jwt.encode({**claims, "exp": int(time.time()) - 10}, secret, algorithm="HS256")
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"

    forged = jwt.encode({**claims, "exp": int(time.time()) + 600}, "another-secret-" * 4, algorithm="HS256")
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


async def test_removed_member_token_stops_working(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    org = await create_org(session)
    owner = await add_member(session, settings, org.id, Role.owner)
    editor = await add_member(session, settings, org.id, Role.editor)
    assert (await client.get("/auth/me", headers=editor.headers)).status_code == 200
    removed = await client.delete(f"/org/members/{editor.user_id}", headers=owner.headers)
    assert removed.status_code == 204
    assert (await client.get("/auth/me", headers=editor.headers)).status_code == 401
