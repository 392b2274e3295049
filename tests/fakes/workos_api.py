"""A stateful loopback WorkOS for the official SDK: the SSO and organization endpoints the app uses, in
WorkOS's wire format, refusing what the real API refuses.

- `GET /organizations/{id}` needs `Authorization: Bearer <API key>` (401 otherwise; 404 `entity_not_found`).
- `GET /sso/authorize` plays the browser's trip through the IdP: it checks `client_id`, `response_type=code`,
  the redirect URI against the allowed ones and the organization, then 302s to the redirect URI with a
  single-use `code` and the `state` unchanged. Who signs in is the profile queued with `next_profile`.
- `POST /sso/token` (JSON: client_id, client_secret, grant_type=authorization_code, code) answers
  `{token_type, access_token, expires_in, profile}`; a wrong secret is 401 `invalid_client`, an unknown,
  used or expired code is 400 `invalid_grant`, as WorkOS answers.
`sign` makes the `WorkOS-Signature` header of a webhook body (`t=<ms>, v1=<hex HMAC-SHA256 of "t.body">`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

API_KEY = "sk_test_agentflow_workos"
CLIENT_ID = "client_01AGENTFLOWTEST"
WEBHOOK_SECRET = "workos-webhook-secret-for-tests"
CODE_SECONDS = 600
STAMP = "2026-01-01T00:00:00.000Z"


def sign(body: bytes, *, secret: str = WEBHOOK_SECRET, at_ms: int | None = None) -> str:
    stamp = at_ms if at_ms is not None else int(time.time() * 1000)
    mac = hmac.new(secret.encode(), f"{stamp}.{body.decode()}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp}, v1={mac}"


class FakeWorkOS:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.reset()
        self.app = Starlette(
            routes=[
                Route("/organizations/{id}", self._organization, methods=["GET"]),
                Route("/sso/authorize", self._authorize, methods=["GET"]),
                Route("/sso/token", self._token, methods=["POST"]),
            ]
        )

    def reset(self) -> None:
        self.organizations: dict[str, dict[str, Any]] = {}
        self.redirect_uris: set[str] = set()
        self.codes: dict[str, tuple[dict[str, Any], float]] = {}
        self.profiles: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, Any]] = []

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_01FAKE{next(self._ids):020d}"

    # --- what tests set up on WorkOS's side ------------------------------------------------------------

    def add_organization(self, *, verified: list[str], pending: list[str] | None = None) -> str:
        org_id = self.new_id("org")
        domains = [(d, "verified") for d in verified] + [(d, "pending") for d in pending or []]
        self.organizations[org_id] = {
            "object": "organization",
            "id": org_id,
            "name": f"Customer {org_id[-4:]}",
            "allow_profiles_outside_organization": False,
            "domains": [
                {
                    "object": "organization_domain",
                    "id": self.new_id("org_domain"),
                    "organization_id": org_id,
                    "domain": domain,
                    "state": state,
                    "verification_strategy": "dns",
                    "verification_token": "token",
                    "created_at": STAMP,
                    "updated_at": STAMP,
                }
                for domain, state in domains
            ],
            "metadata": {},
            "external_id": None,
            "created_at": STAMP,
            "updated_at": STAMP,
        }
        return org_id

    def next_profile(self, *, email: str, organization_id: str | None, name: str = "Grace Hopper") -> None:
        """The person the IdP signs in on the next trip through /sso/authorize."""
        first, _, last = name.partition(" ")
        self.profiles.append(
            {
                "object": "profile",
                "id": self.new_id("prof"),
                "organization_id": organization_id,
                "connection_id": self.new_id("conn"),
                "connection_type": "OktaSAML",
                "idp_id": self.new_id("idp"),
                "email": email,
                "first_name": first,
                "last_name": last or None,
                "name": name,
                "role": {"slug": "member"},
                "roles": [{"slug": "member"}],
                "groups": [],
                "custom_attributes": {},
                "raw_attributes": {},
            }
        )

    # --- the HTTP side ---------------------------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {API_KEY}"

    async def _organization(self, request: Request) -> Response:
        self.requests.append(("GET", request.url.path, None))
        if not self._authorized(request):
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        org = self.organizations.get(request.path_params["id"])
        if org is None:
            org_id = request.path_params["id"]
            return JSONResponse(
                {
                    "message": f"Organization not found: '{org_id}'.",
                    "code": "entity_not_found",
                    "entity_id": org_id,
                },
                status_code=404,
            )
        return JSONResponse(org)

    async def _authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.requests.append(("GET", request.url.path, params))
        if params.get("client_id") != CLIENT_ID:
            return JSONResponse({"message": "Invalid client ID."}, status_code=422)
        if params.get("response_type") != "code":
            return JSONResponse({"message": "response_type must be code."}, status_code=422)
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in self.redirect_uris:
            return JSONResponse({"message": f"Invalid redirect URI: {redirect_uri}"}, status_code=422)
        if params.get("organization") not in self.organizations:
            return JSONResponse({"message": "No connection for this organization."}, status_code=422)
        with self._lock:
            profile = self.profiles.pop(0)
            code = self.new_id("code")
            self.codes[code] = (profile, time.time() + CODE_SECONDS)
        query = {"code": code, **({"state": params["state"]} if "state" in params else {})}
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        self.requests.append(("POST", request.url.path, body))
        if body.get("client_id") != CLIENT_ID:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Invalid client ID."}, status_code=400
            )
        if body.get("client_secret") != API_KEY:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Invalid client secret."}, status_code=401
            )
        if body.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        code = str(body.get("code", ""))
        with self._lock:
            found = self.codes.pop(code, None)  # single use, like WorkOS's codes
        if found is None or found[1] < time.time():
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": f"The code '{code}' has expired or is invalid.",
                },
                status_code=400,
            )
        return JSONResponse(
            {
                "token_type": "Bearer",
                "access_token": self.new_id("access"),
                "expires_in": 600,
                "profile": found[0],
            }
        )


def directory_user(
    *,
    organization_id: str,
    email: str,
    state: str = "active",
    user_id: str | None = None,
    name: str = "Ada Lovelace",
) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    return {
        "object": "directory_user",
        "id": user_id or f"directory_user_01{int(time.time_ns()) % 10**20:020d}",
        "directory_id": "directory_01FAKEDIRECTORY",
        "organization_id": organization_id,
        "idp_id": "idp-1",
        "email": email,
        "first_name": first,
        "last_name": last,
        "name": name,
        "state": state,
        "custom_attributes": {},
        "raw_attributes": {},
        "role": {"slug": "member"},
        "created_at": STAMP,
        "updated_at": STAMP,
    }


def directory_group(
    *, organization_id: str, name: str, group_id: str = "directory_group_01FAKEGROUP"
) -> dict[str, Any]:
    return {
        "object": "directory_group",
        "id": group_id,
        "idp_id": "group-1",
        "directory_id": "directory_01FAKEDIRECTORY",
        "organization_id": organization_id,
        "name": name,
        "created_at": STAMP,
        "updated_at": STAMP,
        "raw_attributes": {},
    }


def event(kind: str, data: dict[str, Any], *, created_at: str = "2026-06-01T00:00:00.000Z") -> dict[str, Any]:
    return {
        "object": "event",
        "id": f"event_01{time.time_ns() % 10**20:020d}",
        "event": kind,
        "data": data,
        "created_at": created_at,
    }
