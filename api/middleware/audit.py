"""Opens the audit context of every mutating HTTP request (POST/PUT/PATCH/DELETE).

The entry itself is written by the session dependency just before its commit (agentflow/audit/capture.py),
so it shares the change's transaction; this only gathers what the edge knows. The route is read when the
entry is written, after routing, so a route added later is audited with no change here.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from agentflow.audit.context import AuditContext, Described, audit_context
from api.audit_actions import MUTATING_METHODS, describe

MAX_USER_AGENT = 512


class AuditMiddleware:
    def __init__(self, app: ASGIApp, *, api_prefix: str) -> None:
        self.app = app
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING_METHODS:
            await self.app(scope, receive, send)
            return
        agent = next((v for k, v in scope["headers"] if k == b"user-agent"), None)

        def described() -> Described | None:
            return describe(scope, self.api_prefix, _client(scope))

        context = AuditContext(
            describe=described,
            user_agent=agent.decode("latin-1")[:MAX_USER_AGENT] if agent else None,
        )
        token = audit_context.set(context)
        try:
            await self.app(scope, receive, send)
        finally:
            audit_context.reset(token)


def _client(scope: Scope) -> str | None:
    """The caller's address as the rest of the API sees it (trusted proxies' X-Forwarded-For honoured)."""
    app = scope.get("app")
    gate = getattr(getattr(app, "state", None), "gate", None)
    peer = scope["client"][0] if scope.get("client") else None
    if gate is None:
        return peer
    forwarded = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"), None)
    client: str | None = gate.client(peer, forwarded)
    return client
