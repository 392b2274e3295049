"""The API with its audit log switched off: the baseline of the audit scenario of api_latency.py.

A benchmark-only monkeypatch (there is no setting that turns auditing off): the audit middleware becomes a
pass-through, the flush listener is never installed and the entry is never written.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

import api.app
import api.deps
from agentflow.audit import capture


class _PassThrough:
    def __init__(self, app: ASGIApp, **_: object) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def _no_entry(session: AsyncSession) -> None:
    return None


api.app.AuditMiddleware = _PassThrough  # type: ignore[assignment,misc]
api.deps.write_entry = _no_entry
capture.install = lambda: None
create_app = api.app.create_app
