"""A loopback GitHub REST API: the routes the GitHub connector uses, answering in GitHub's wire format and
refusing what GitHub refuses — a missing or unknown token (401 `Bad credentials`), missing required fields
(422 `{message: "Validation Failed", errors: [{resource, field, code}]}`), a review without the body its
event needs, a grant revocation without the OAuth app's basic auth."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer, Recorded, Reply

DOCS = "https://docs.github.com/rest"


def _validation_failed(resource: str, *fields: str) -> JSONResponse:
    return JSONResponse(
        {
            "message": "Validation Failed",
            "errors": [{"resource": resource, "field": f, "code": "missing_field"} for f in fields],
            "documentation_url": DOCS,
        },
        status_code=422,
    )


@dataclass
class GitHubFake:
    url: str = ""
    tokens: set[str] = field(default_factory=set)  # tokens GitHub accepts (PATs, OAuth access tokens)
    login: str = "octocat"
    apps: dict[str, str] = field(default_factory=dict)  # OAuth apps: client id → secret (grant revocation)
    requests: list[Recorded] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "number": 7,
                "title": "Fix the flaky test",
                "state": "open",
                "html_url": "https://github.com/octo/app/pull/7",
                "user": {"login": "hubot"},
                "head": {"ref": "fix-flaky"},
                "base": {"ref": "main"},
                "draft": False,
            }
        ]
    )
    _scripted: deque[Reply] = field(default_factory=deque)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests (after the auth check) with these replies instead."""
        with self._lock:
            self._scripted.extend(replies)

    def for_path(self, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(suffix)]

    async def _record(self, request: Request) -> Any:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        self.requests.append(
            Recorded(request.method, path, {k.lower(): v for k, v in request.headers.items()}, body)
        )
        return body

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() in ("bearer", "token") and token in self.tokens

    async def handle(self, request: Request) -> Response:
        body = await self._record(request)
        path = request.path_params
        if request.url.path.startswith("/applications/"):
            return self._revoke(request, body)
        if not self._authorized(request):
            return JSONResponse({"message": "Bad credentials", "documentation_url": DOCS}, status_code=401)
        with self._lock:
            scripted = self._scripted.popleft() if self._scripted else None
        if scripted is not None:
            return JSONResponse(scripted.body, status_code=scripted.status, headers=scripted.headers)
        route = request.scope["route"].path
        if route == "/user":
            return JSONResponse({"login": self.login, "id": 1, "type": "User"})
        if route == "/repos/{owner}/{repo}/pulls":
            state = request.query_params.get("state", "open")
            return JSONResponse([p for p in self.pulls if state == "all" or p["state"] == state])
        if not isinstance(body, dict):
            return JSONResponse(
                {"message": "Problems parsing JSON", "documentation_url": DOCS}, status_code=400
            )
        number = next(self._ids)
        base = f"https://github.com/{path['owner']}/{path['repo']}"
        if route == "/repos/{owner}/{repo}/issues":
            if not body.get("title"):
                return _validation_failed("Issue", "title")
            issue = {"id": number, "number": len(self.issues) + 1, "state": "open", "title": body["title"]}
            issue["html_url"] = f"{base}/issues/{issue['number']}"
            self.issues.append(issue | {"body": body.get("body")})
            return JSONResponse(issue, status_code=201)
        if route == "/repos/{owner}/{repo}/issues/{number}/comments":
            if not body.get("body"):
                return _validation_failed("IssueComment", "body")
            return JSONResponse(
                {"id": number, "html_url": f"{base}/issues/{path['number']}#issuecomment-{number}"},
                status_code=201,
            )
        if route == "/repos/{owner}/{repo}/pulls/{number}/reviews":
            event = body.get("event")
            if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
                return JSONResponse(
                    {"message": "Unprocessable Entity", "errors": [f"Body is required for {event}"]},
                    status_code=422,
                )
            state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(
                str(event), "COMMENTED"
            )
            return JSONResponse(
                {"id": number, "state": state, "html_url": f"{base}/pull/{path['number']}#review-{number}"}
            )
        return JSONResponse({"message": "Not Found"}, status_code=404)

    def _revoke(self, request: Request, body: Any) -> Response:
        client_id = request.path_params["client_id"]
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            given = base64.b64decode(encoded).decode() if scheme.lower() == "basic" else ""
        except ValueError:
            given = ""
        if client_id not in self.apps or given != f"{client_id}:{self.apps[client_id]}":
            return JSONResponse(
                {"message": "Requires authentication", "documentation_url": DOCS}, status_code=401
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            return _validation_failed("Grant", "access_token")
        self.tokens.discard(token)
        self.revoked.append(token)
        return Response(status_code=204)

    def app(self) -> Starlette:
        routes = [
            ("/user", ["GET"]),
            ("/repos/{owner}/{repo}/issues", ["POST"]),
            ("/repos/{owner}/{repo}/issues/{number}/comments", ["POST"]),
            ("/repos/{owner}/{repo}/pulls", ["GET"]),
            ("/repos/{owner}/{repo}/pulls/{number}/reviews", ["POST"]),
            ("/applications/{client_id}/grant", ["DELETE"]),
        ]
        return Starlette(routes=[Route(path, self.handle, methods=methods) for path, methods in routes])


@contextmanager
def github_api(**kwargs: Any) -> Iterator[GitHubFake]:
    fake = GitHubFake(**kwargs)
    server = LoopbackServer(fake.app()).start()
    fake.url = server.url
    try:
        yield fake
    finally:
        server.stop()
