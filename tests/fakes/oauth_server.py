"""A loopback OAuth 2 authorization server (RFC 6749 authorization code + refresh, RFC 7636 PKCE S256).

`/authorize` checks the client id and redirect URI and answers 302 with a code (the test plays the user who
consents); `/token` authenticates the client (secret in the form or HTTP basic), checks the code was issued
to it for that redirect URI, is unused and unexpired, and that the verifier hashes to the challenge; refresh
tokens are checked the same way. Errors use the RFC's `{error, error_description}` bodies.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer


def _error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    method: str | None
    expires: float
    used: bool = False


@dataclass
class OAuthServer:
    client_id: str = "agentflow-client"
    client_secret: str = field(default_factory=lambda: "cs-" + secrets.token_urlsafe(16))
    redirect_uri: str = ""  # the only redirect URI registered for the client
    expires_in: int = 3600  # lifetime of issued access tokens
    refusing_refresh: bool = False  # answer every refresh with invalid_grant (a revoked grant)
    on_token: Callable[[str], None] | None = None  # told each access token issued (the API fake accepts it)
    url: str = ""
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token → client id
    token_requests: list[dict[str, str]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.client_id:
            return _error("invalid_client", "unknown client_id")
        if q.get("redirect_uri") != self.redirect_uri:
            return _error("invalid_request", "redirect_uri does not match the registered one")
        if q.get("response_type") != "code":
            return _error("unsupported_response_type", "only code")
        method = q.get("code_challenge_method")
        if q.get("code_challenge") and method != "S256":
            return _error("invalid_request", "only S256 challenges")
        code = secrets.token_urlsafe(16)
        self.codes[code] = Grant(
            self.client_id,
            q["redirect_uri"],
            q.get("scope", ""),
            q.get("code_challenge"),
            method,
            time.time() + 60,
        )
        return RedirectResponse(
            f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}", 302
        )

    def _client_of(self, request: Request, form: dict[str, str]) -> str | None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id if client_id == self.client_id and secret == self.client_secret else None

    def _issue(self, scope: str) -> dict[str, Any]:
        access, refresh = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
        self.refresh_tokens[refresh] = self.client_id
        self.issued.append(access)
        if self.on_token is not None:
            self.on_token(access)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
            "scope": scope,
        }

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        with self._lock:
            self.token_requests.append(form)
        if self._client_of(request, form) is None:
            return _error("invalid_client", "client authentication failed", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            with self._lock:
                grant = self.codes.get(form.get("code", ""))
                if grant is None or grant.used or grant.expires < time.time():
                    return _error("invalid_grant", "the code is unknown, used or expired")
                grant.used = True
            if form.get("redirect_uri") != grant.redirect_uri:
                return _error("invalid_grant", "redirect_uri differs from the authorization request")
            if grant.challenge is not None:
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                if digest.decode() != grant.challenge:
                    return _error("invalid_grant", "PKCE verification failed")
            return JSONResponse(self._issue(grant.scope))
        if grant_type == "refresh_token":
            token = form.get("refresh_token", "")
            with self._lock:
                known = self.refresh_tokens.pop(token, None)  # rotated: each refresh token works once
            if self.refusing_refresh or known is None:
                return _error("invalid_grant", "the refresh token is invalid or revoked")
            return JSONResponse(self._issue("repo"))
        return _error("unsupported_grant_type", str(grant_type))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/authorize", self.authorize, methods=["GET"]),
                Route("/token", self.token, methods=["POST"]),
            ]
        )


@contextmanager
def oauth_server(**kwargs: Any) -> Iterator[OAuthServer]:
    fake = OAuthServer(**kwargs)
    server = LoopbackServer(fake.app()).start()
    fake.url = server.url
    try:
        yield fake
    finally:
        server.stop()
