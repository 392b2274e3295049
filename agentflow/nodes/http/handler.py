"""action.http: an HTTP request with auth from org secrets; `error` handle on failure."""

from __future__ import annotations

import base64
from typing import Any

from agentflow.nodes import outbound
from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import NodeContext, NodeResult
from agentflow.nodes.errors import PermanentStepError

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def auth_headers(auth: dict[str, Any], env: dict[str, str] | Any) -> dict[str, str]:
    kind = auth.get("type", "none")
    if kind == "none":
        return {}
    name = auth.get("secret")
    if not name or name not in env:
        raise PermanentStepError(f"The auth secret {name!r} is not defined in this organization's secrets")
    secret = env[name]
    if kind == "bearer":
        return {"Authorization": f"Bearer {secret}"}
    if kind == "basic":
        token = base64.b64encode(f"{auth.get('username') or ''}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {auth.get("header") or "X-API-Key": secret}


def _credential_headers(auth: dict[str, Any]) -> tuple[str, ...]:
    """The header carrying an `api_key` secret: dropped, like Authorization, on a cross-origin redirect."""
    return (auth.get("header") or "X-API-Key",) if auth.get("type") == "api_key" else ()


class HttpHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        method = config["method"]
        headers = {**config.get("headers", {}), **auth_headers(config.get("auth") or {}, ctx.env)}
        body, raw = config.get("json"), config.get("body")
        if ctx.preview and method not in _SAFE_METHODS:
            return NodeResult(
                output={
                    "preview": True,
                    "request": {
                        "method": method,
                        "url": config["url"],
                        "query": config.get("query", {}),
                        "json": body,
                        "body": raw,
                    },
                    "status": None,
                }
            )
        response = await outbound.send(
            ctx.http,
            method,
            config["url"],
            headers=headers,
            params=config.get("query") or None,
            json=body,
            content=raw,
            timeout_seconds=float(config.get("timeout_seconds", 30)),
            credential_headers=_credential_headers(config.get("auth") or {}),
        )
        outbound.raise_for_status(method, config["url"], response)
        return NodeResult(output=response.as_output())
