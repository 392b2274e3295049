"""A small pet-store HTTP API on a loopback port, standing in for "any API" behind the custom connector.

It enforces one auth scheme at a time (bearer, basic, an API key in a header or the query, or OAuth2
client-credentials tokens it issued from its own token endpoint) and answers 401 otherwise; it validates
bodies like a real API (400 with a message for a pet without a name) and records every request with its raw
path, so tests can assert exactly what went on the wire.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID = "agentflow-client"
CLIENT_SECRET = "cs-7f3a"


@dataclass(frozen=True)
class Seen:
    method: str
    raw_path: str  # as sent, before any decoding
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class PetStore:
    """Auth required: ("none",), ("bearer", token), ("basic", user, password), ("header", name, key),
    ("query", name, key), ("oauth2",) — tokens from POST /oauth/token."""

    require: tuple[str, ...] = ("none",)
    requests: list[Seen] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, require: tuple[str, ...] = ("none",)) -> None:
        with self._lock:
            self.require = require
            self.requests.clear()
            self.token_requests.clear()
            self.issued.clear()

    @property
    def last(self) -> Seen:
        return self.requests[-1]

    def _authorised(self, request: Request) -> bool:
        kind, *expected = self.require
        authorization = request.headers.get("authorization", "")
        if kind == "none":
            return True
        if kind == "bearer":
            return authorization == f"Bearer {expected[0]}"
        if kind == "basic":
            pair = base64.b64encode(f"{expected[0]}:{expected[1]}".encode()).decode()
            return authorization == f"Basic {pair}"
        if kind == "header":
            return request.headers.get(expected[0]) == expected[1]
        if kind == "query":
            return request.query_params.get(expected[0]) == expected[1]
        return authorization.removeprefix("Bearer ") in self.issued

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        with self._lock:
            self.token_requests.append({"form": form, "authorization": authorization})
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                status_code=401,
            )
        token = f"tok-{next(self._counter)}"
        with self._lock:
            self.issued.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    async def api(self, request: Request) -> Response:
        raw = await request.body()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        seen = Seen(
            request.method,
            request.scope["raw_path"].decode(),
            parse_qs(request.scope["query_string"].decode()),
            {k.lower(): v for k, v in request.headers.items()},
            body,
        )
        with self._lock:
            self.requests.append(seen)
        if not self._authorised(request):
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        path = request.url.path
        if path == "/v1/pets" and request.method == "POST":
            if not isinstance(body, dict) or not body.get("name"):
                return JSONResponse({"message": "name is required"}, status_code=400)
            return JSONResponse({"id": 7, **body}, status_code=201)
        if path == "/v1/pets" and request.method == "GET":
            return JSONResponse([{"id": 1, "name": "Rex"}])
        if path == "/v1/busy":
            return JSONResponse({"message": "slow down"}, status_code=429, headers={"Retry-After": "3"})
        if request.method == "HEAD":
            return Response(status_code=200)
        return JSONResponse(
            {"method": request.method, "path": seen.raw_path, "query": seen.query, "body": body}
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/{rest:path}", self.api, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
            ]
        )


def petstore_openapi(server_url: str) -> dict[str, Any]:
    """A trimmed Swagger Petstore (OpenAPI 3.0) with shared components, parameters and request bodies."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Swagger Petstore", "version": "1.0.0"},
        "servers": [{"url": server_url}],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "summary": "List all pets",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "description": "How many items to return at one time (max 100)",
                            "required": False,
                            "schema": {"type": "integer", "maximum": 100, "format": "int32"},
                        },
                        {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"description": "A paged array of pets"}},
                },
                "post": {
                    "operationId": "createPet",
                    "summary": "Create a pet",
                    "requestBody": {"$ref": "#/components/requestBodies/NewPet"},
                    "responses": {"201": {"description": "Created"}},
                },
            },
            "/pets/{petId}": {
                "parameters": [{"$ref": "#/components/parameters/PetId"}],
                "get": {
                    "operationId": "showPetById",
                    "summary": "Info for a specific pet",
                    "responses": {
                        "200": {
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}
                        }
                    },
                },
                "delete": {"operationId": "deletePet", "summary": "Delete a pet", "responses": {"204": {}}},
            },
            "/pets/{petId}/photos": {
                "parameters": [{"$ref": "#/components/parameters/PetId"}],
                "get": {"summary": "List a pet's photos", "responses": {"200": {}}},
                "post": {
                    "operationId": "uploadPhoto",
                    "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}},
                    "responses": {"200": {}},
                },
            },
        },
        "components": {
            "parameters": {
                "PetId": {
                    "name": "petId",
                    "in": "path",
                    "required": True,
                    "description": "The id of the pet",
                    "schema": {"type": "string"},
                }
            },
            "requestBodies": {
                "NewPet": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}},
                }
            },
            "schemas": {
                "NewPet": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "tag": {"type": "string"},
                        "parent": {"$ref": "#/components/schemas/Pet"},
                    },
                },
                "Pet": {
                    "allOf": [
                        {"$ref": "#/components/schemas/NewPet"},
                        {"type": "object", "properties": {"id": {"type": "integer", "format": "int64"}}},
                    ]
                },
            },
        },
    }
