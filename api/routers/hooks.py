"""POST /api/v1/hooks/{token}: the webhook that starts an agent (no login: the token is the credential)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, BackgroundTasks, Header, Request, status
from pydantic import BaseModel

from agentflow.executions import webhooks
from agentflow.errors import BadRequest, NotFound, ValidationFailed
from agentflow.nodes.errors import StepError
from agentflow.nodes.trigger.handler import check_input
from api.deps import DispatcherDep, ReaderDep, SecretStoreDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/hooks", tags=["webhooks"], responses=ERROR_RESPONSES)


class WebhookAccepted(BaseModel):
    execution_id: str
    status: str


async def _parse(request: Request) -> Any:
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not raw:
        return None
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"The body is not valid JSON: {exc}", code="malformed_json") from exc
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
    if content_type == "multipart/form-data":
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    return raw.decode(errors="replace")


@router.post("/{token}", status_code=status.HTTP_202_ACCEPTED, response_model=WebhookAccepted)
async def receive_webhook(
    token: str,
    request: Request,
    reader: ReaderDep,
    secrets: SecretStoreDep,
    dispatcher: DispatcherDep,
    background: BackgroundTasks,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> WebhookAccepted:
    """Start the agent behind this URL with `{body, headers, query}` as input; answers before it runs.

    JSON, form and text bodies are accepted (up to the API's body limit). When the trigger names a
    `signing_secret`, a signature is required: Standard Webhooks (`webhook-id`, `webhook-timestamp`,
    `webhook-signature`), `X-AgentFlow-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">`, or
    `X-AgentFlow-Signature: sha256=<hex HMAC-SHA256 of the body>`. Timestamps more than 5 minutes off are
    refused (401), and so is a delivery already received (409 `webhook_replayed`).
    """
    agent = await webhooks.find_agent(reader, token) if len(token) <= 100 else None
    if agent is None or not agent.active or agent.trigger.get("kind") != "webhook":
        raise NotFound("No active webhook at this URL", code="unknown_webhook")
    delivery_id = await webhooks.check_signature(secrets, agent, await request.body(), request.headers)
    body = await _parse(request)
    try:
        check_input(agent.trigger.get("input_schema"), body)
    except StepError as exc:
        raise ValidationFailed(exc.message, code="invalid_input") from exc
    if delivery_id is not None:
        await webhooks.claim_delivery(reader, agent, delivery_id)
    execution_id, created = await webhooks.record(
        reader,
        agent,
        webhooks.run_input(body, dict(request.headers), dict(request.query_params)),
        idempotency_key,
    )
    if created:
        background.add_task(dispatcher.dispatch_quietly, execution_id)
    return WebhookAccepted(execution_id=str(execution_id), status="queued")
