"""The HTTP edge of sign-in: the published development JWT key, token audience and issuer, the refresh
cookie's Secure flag, and cross-site requests to the cookie-authenticated routes."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from agentflow.config import DEV_JWT_SECRET, InsecureSettings, Settings
from api.app import create_app
from tests.factories import PASSWORD, Member

REFRESH = "agentflow_refresh"
COOKIE_PATH = "/api/v1/auth"


async def signup(client: httpx.AsyncClient) -> httpx.Response:
    response = await client.post(
        "/auth/signup", json={"email": "ada@example.com", "password": PASSWORD, "org_name": "Acme"}
    )
    assert response.status_code == 201, response.text
    return response


# -- the development key -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "public_url",
    [
        "https://agentflow.example.com",
        "http://10.0.0.5:8000",
        "http://agentflow.internal",
        "http://0.0.0.0:8000",
    ],
)
def test_the_published_dev_key_refuses_to_start_on_a_public_url(settings: Settings, public_url: str) -> None:
    insecure = settings.model_copy(update={"jwt_secret": SecretStr(DEV_JWT_SECRET), "public_url": public_url})
    with pytest.raises(InsecureSettings, match="AGENTFLOW_JWT_SECRET"):
        create_app(insecure, configure_logs=False)


@pytest.mark.parametrize(
    "public_url", ["http://127.0.0.1:8000", "http://127.8.9.10", "http://[::1]:8000", "http://localhost:5173"]
)
def test_the_dev_key_still_serves_loopback_only(settings: Settings, public_url: str) -> None:
    local = settings.model_copy(update={"jwt_secret": SecretStr(DEV_JWT_SECRET), "public_url": public_url})
    assert isinstance(create_app(local, configure_logs=False), FastAPI)


def test_a_real_key_starts_on_a_public_url(settings: Settings) -> None:
    public = settings.model_copy(update={"public_url": "https://agentflow.example.com"})
    assert isinstance(create_app(public, configure_logs=False), FastAPI)


# -- audience and issuer -------------------------------------------------------------------------------


def forge(settings: Settings, member: Member, **overrides: object) -> str:
    """A token signed with the deployment's real key, with some claims changed or removed (None)."""
    claims: dict[str, object] = {
        "sub": str(member.user_id),
        "org": str(member.org_id),
        "typ": "access",
        "iss": settings.jwt_issuer,
        "aud": "agentflow-api",
        "exp": int(time.time()) + 600,
    }
    claims.update(overrides)
    payload = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(payload, settings.jwt_secret.get_secret_value(), algorithm="HS256")


async def test_access_tokens_name_this_api_and_this_deployment(
    client: httpx.AsyncClient, owner: Member, settings: Settings
) -> None:
    claims = jwt.decode(owner.token, options={"verify_signature": False})
    assert claims["aud"] == "agentflow-api"
    assert claims["iss"] == "http://testserver" == settings.jwt_issuer
    assert (await client.get("/auth/me", headers=owner.headers)).status_code == 200
    assert (
        await client.get("/auth/me", headers={"Authorization": f"Bearer {forge(settings, owner)}"})
    ).status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": None},  # a token minted before audiences, or by another tool holding the key
        {"aud": "prefect"},
        {"aud": ["something-else"]},
        {"iss": None},
        {"iss": "https://staging.agentflow.example.com"},  # another deployment sharing the key
    ],
)
async def test_a_token_for_another_audience_or_issuer_is_401(
    client: httpx.AsyncClient, owner: Member, settings: Settings, overrides: dict[str, object]
) -> None:
    token = forge(settings, owner, **overrides)
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


async def test_a_token_issued_for_another_public_url_is_refused(
    app: FastAPI, client: httpx.AsyncClient, owner: Member
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"public_url": "https://agentflow.example.com"})
    response = await client.get("/auth/me", headers=owner.headers)  # issued for http://testserver
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


# -- the refresh cookie's Secure flag ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("public_url", "force", "secure"),
    [
        ("http://testserver", False, False),
        ("http://testserver", True, True),  # AGENTFLOW_COOKIE_SECURE behind a TLS proxy with an http URL
        ("https://testserver", False, True),
    ],
)
async def test_the_refresh_cookie_is_secure_when_the_public_url_is_https(
    app: FastAPI, client: httpx.AsyncClient, public_url: str, force: bool, secure: bool
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"public_url": public_url, "cookie_secure": force}
    )
    cookie = (await signup(client)).headers["set-cookie"]
    assert ("Secure" in cookie) is secure
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


# -- cross-site requests to /auth/refresh and /auth/logout -----------------------------------------------


CROSS_SITE = [
    {"Origin": "https://evil.example"},
    {"Referer": "https://evil.example/phish.html"},  # no Origin: the Referer names the page
    {"Origin": "null"},  # a sandboxed frame
    {"Origin": "http://testserver.evil.example"},
    {"Origin": "https://testserver"},  # same host, other scheme: another origin
    {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
]


@pytest.mark.parametrize("attack", CROSS_SITE)
async def test_a_cross_site_refresh_is_refused_and_rotates_nothing(
    client: httpx.AsyncClient, attack: dict[str, str]
) -> None:
    await signup(client)
    cookie = client.cookies.get(REFRESH, path=COOKIE_PATH)

    refused = await client.post("/auth/refresh", headers=attack)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_refused"
    assert "set-cookie" not in refused.headers and "access_token" not in refused.text
    assert client.cookies.get(REFRESH, path=COOKIE_PATH) == cookie

    # The same cookie still works from the site itself: it was neither rotated nor revoked.
    refreshed = await client.post("/auth/refresh", headers={"Origin": "http://testserver"})
    assert refreshed.status_code == 200, refreshed.text
    assert client.cookies.get(REFRESH, path=COOKIE_PATH) != cookie


@pytest.mark.parametrize("attack", CROSS_SITE[:2])
async def test_a_cross_site_logout_is_refused(client: httpx.AsyncClient, attack: dict[str, str]) -> None:
    await signup(client)
    refused = await client.post("/auth/logout", headers=attack)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_refused"
    assert (await client.post("/auth/refresh")).status_code == 200  # still signed in


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, SDKs: no browser headers, no ambient credentials
        {"Origin": "http://testserver"},
        {"Origin": "http://TestServer:80"},  # the same origin, spelled differently
        {"Referer": "http://testserver/agents/123"},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://ui.example"},  # a configured CORS origin
    ],
)
async def test_refresh_from_the_site_itself_or_a_cors_origin_passes(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"cors_origins": ["http://ui.example"]})
    await signup(client)
    response = await client.post("/auth/refresh", headers=headers)
    assert response.status_code == 200, response.text
    logout = await client.post("/auth/logout", headers=headers)
    assert logout.status_code == 204


async def test_the_public_url_origin_passes_behind_a_proxy(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Behind a proxy the Host the API sees is internal; the browser's Origin is the public URL. (An http
    # URL here: the test client would not send a Secure cookie back over http.)
    public = "http://agentflow.example.com:8080/"
    app.state.settings = app.state.settings.model_copy(update={"public_url": public})
    await signup(client)
    response = await client.post("/auth/refresh", headers={"Origin": "http://agentflow.example.com:8080"})
    assert response.status_code == 200, response.text
