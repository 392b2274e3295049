"""action.webhook: POST a JSON payload, signed with HMAC-SHA256 when a signing secret is named."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from agentflow.nodes import outbound
from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import NodeContext, NodeResult
from agentflow.nodes.errors import PermanentStepError

SIGNATURE_HEADER = "X-AgentFlow-Signature"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        body = orjson.dumps(config.get("payload"))
        headers = {"Content-Type": "application/json", **config.get("headers", {})}
        secret_name = config.get("signing_secret")
        if secret_name:
            if secret_name not in ctx.env:
                raise PermanentStepError(
                    f"The signing secret {secret_name!r} is not defined in this organization"
                )
            headers[SIGNATURE_HEADER] = sign(body, ctx.env[secret_name])
        if ctx.preview:
            return NodeResult(
                output={
                    "preview": True,
                    "url": config["url"],
                    "payload": config.get("payload"),
                    "status": None,
                }
            )
        response = await outbound.send(
            ctx.http,
            "POST",
            config["url"],
            headers=headers,
            content=body,
            timeout_seconds=30.0,
        )
        outbound.raise_for_status("POST", config["url"], response)
        return NodeResult(output={"status": response.status})
