"""Authentication of custom API requests, from the connection's `auth` settings and the org secret the runner
read for the call (`credentials["env.NAME"]`).

OAuth2 client credentials: the token is fetched from the configured token URL through the call's guarded
client and cached per connection until shortly before it expires; a 401 drops it so the next attempt fetches
a new one. Authorization code: the platform's OAuth flow puts the tokens in `credentials["access_token"]`.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from agentflow.integrations.custom.config import AuthConfig
from agentflow.integrations.custom.secret_refs import CREDENTIAL_PREFIX
from agentflow.nodes import outbound
from agentflow.nodes.errors import PermanentStepError, TransientStepError

EXPIRY_MARGIN_SECONDS = 30.0
DEFAULT_TOKEN_LIFETIME_SECONDS = 300.0  # when the token response gives no expires_in
MAX_CACHED_TOKENS = 1024


@dataclass(frozen=True)
class RequestAuth:
    headers: dict[str, str]
    query: dict[str, str]


def secret_value(auth: AuthConfig, credentials: Mapping[str, str]) -> str:
    value = credentials.get(CREDENTIAL_PREFIX + str(auth.secret))
    if not value:
        raise PermanentStepError(f"the org secret {auth.secret} is not set", code="missing_secret")
    return value


class TokenCache:
    """Client-credentials tokens by (connection, client, secret): a changed secret never reuses a token."""

    def __init__(self) -> None:
        self._tokens: OrderedDict[tuple[str, ...], tuple[str, float]] = OrderedDict()

    @staticmethod
    def key(connection_id: str, auth: AuthConfig, secret: str) -> tuple[str, ...]:
        digest = hashlib.sha256(secret.encode()).hexdigest()
        return (connection_id, str(auth.token_url), str(auth.client_id), digest)

    def get(self, key: tuple[str, ...]) -> str | None:
        entry = self._tokens.get(key)
        if entry is None or entry[1] <= time.monotonic():
            self._tokens.pop(key, None)
            return None
        return entry[0]

    def put(self, key: tuple[str, ...], token: str, lifetime: float) -> None:
        self._tokens[key] = (token, time.monotonic() + max(lifetime - EXPIRY_MARGIN_SECONDS, 1.0))
        self._tokens.move_to_end(key)
        while len(self._tokens) > MAX_CACHED_TOKENS:
            self._tokens.popitem(last=False)

    def drop(self, key: tuple[str, ...]) -> None:
        self._tokens.pop(key, None)


TOKENS = TokenCache()


async def fetch_client_credentials_token(
    http: httpx.AsyncClient, auth: AuthConfig, secret: str, *, timeout_seconds: float
) -> tuple[str, float]:
    """(access token, lifetime in seconds) from the token endpoint (RFC 6749 §4.4)."""
    form: dict[str, str] = {"grant_type": "client_credentials"}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if auth.client_auth == "client_secret_basic":
        pair = f"{auth.client_id}:{secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        form |= {"client_id": str(auth.client_id), "client_secret": secret}
    if auth.scopes:
        form["scope"] = " ".join(auth.scopes)
    response = await outbound.send(
        http,
        "POST",
        str(auth.token_url),
        headers=headers,
        content=urlencode(form),
        timeout_seconds=timeout_seconds,
        credential_headers=("Authorization",),
    )
    body: Any = response.body
    where = f"the token endpoint {auth.token_url}"
    if response.status == 429 or response.status >= 500:
        raise TransientStepError(f"{where} answered HTTP {response.status}", code=f"http_{response.status}")
    if response.status >= 400 or not isinstance(body, Mapping) or not body.get("access_token"):
        detail = ""
        if isinstance(body, Mapping):
            detail = str(body.get("error_description") or body.get("error") or "")
        raise PermanentStepError(
            f"{where} refused the client credentials: {detail or f'HTTP {response.status}'}", code="auth"
        )
    lifetime = body.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, int | float) else DEFAULT_TOKEN_LIFETIME_SECONDS
    return str(body["access_token"]), seconds


async def request_auth(
    http: httpx.AsyncClient,
    connection_id: str,
    auth: AuthConfig,
    credentials: Mapping[str, str],
    *,
    timeout_seconds: float,
) -> RequestAuth:
    """Headers and query parameters that authenticate one request."""
    if auth.type == "none":
        return RequestAuth({}, {})
    if auth.type == "oauth2" and auth.grant == "authorization_code":
        token = credentials.get("access_token")
        if not token:
            raise PermanentStepError("the connection has no access token: reconnect it", code="auth")
        return RequestAuth({"Authorization": f"Bearer {token}"}, {})
    secret = secret_value(auth, credentials)
    if auth.type == "bearer":
        return RequestAuth({"Authorization": f"Bearer {secret}"}, {})
    if auth.type == "basic":
        pair = f"{auth.username}:{secret}".encode()
        return RequestAuth({"Authorization": "Basic " + base64.b64encode(pair).decode()}, {})
    if auth.type == "api_key":
        if auth.in_ == "query":
            return RequestAuth({}, {auth.name or "api_key": secret})
        return RequestAuth({auth.header or "X-API-Key": secret}, {})
    key = TOKENS.key(connection_id, auth, secret)
    token = TOKENS.get(key)
    if token is None:
        token, lifetime = await fetch_client_credentials_token(
            http, auth, secret, timeout_seconds=timeout_seconds
        )
        TOKENS.put(key, token, lifetime)
    return RequestAuth({"Authorization": f"Bearer {token}"}, {})


def forget_token(connection_id: str, auth: AuthConfig, credentials: Mapping[str, str]) -> bool:
    """Drop a refused client-credentials token; True when there was one to retry with a fresh token."""
    if auth.type != "oauth2" or auth.grant != "client_credentials":
        return False
    value = credentials.get(CREDENTIAL_PREFIX + str(auth.secret))
    if not value:
        return False
    TOKENS.drop(TOKENS.key(connection_id, auth, value))
    return True
