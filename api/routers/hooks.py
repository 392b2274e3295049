"""POST /api/v1/hooks/{token}: the webhook that starts an agent (no login: the token is the credential)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, BackgroundTasks, Header, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from agentflow.errors import BadRequest
from agentflow.executions.integration_events import Answer
from agentflow.executions.triggers import trigger_service
from agentflow.executions.webhooks import WebhookRequest
from api.deps import DispatcherDep, PlanLimitsDep, ReaderDep, SecretStoreDep, caller_address
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


_NO_RUN: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A Slack or GitHub delivery that starts no run: the URL-verification challenge "
        '(`{"challenge": …}`), a ping, an event the trigger does not listen to, or a repeated delivery.'
    }
}


@router.post(
    "/{token}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookAccepted,
    responses=_NO_RUN,
)
async def receive_webhook(
    token: str,
    request: Request,
    reader: ReaderDep,
    secrets: SecretStoreDep,
    limits: PlanLimitsDep,
    dispatcher: DispatcherDep,
    background: BackgroundTasks,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> WebhookAccepted | JSONResponse:
    """Start the agent behind this URL with `{body, headers, query}` as input; answers before it runs.

    JSON, form and text bodies are accepted (up to the API's body limit). When the trigger names a
    `signing_secret`, a signature is required: Standard Webhooks (`webhook-id`, `webhook-timestamp`,
    `webhook-signature`), `X-AgentFlow-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">`, or
    `X-AgentFlow-Signature: sha256=<hex HMAC-SHA256 of the body>`. Timestamps more than 5 minutes off are
    refused (401), and so is a delivery already received (409 `webhook_replayed`). Unknown, paused or
    archived: 404. A body that does not match the trigger's `input_schema`: 422, and nothing runs. Over the
    plan's executions this billing period: 429 `plan_limit_reached`, nothing recorded (retry later).

    Agents with a Slack or GitHub trigger take that provider's deliveries here instead, verified with its
    own signature (`X-Slack-Signature` with `X-Slack-Request-Timestamp`, `X-Hub-Signature-256`); what
    starts no run (a challenge, a ping, a filtered-out event, a retry of one already received) gets 200.
    """
    triggered = await trigger_service.webhook(
        reader,
        secrets,
        WebhookRequest(
            token=token,
            body=await request.body(),
            headers=dict(request.headers),
            query=dict(request.query_params),
            idempotency_key=idempotency_key,
            parse_body=lambda: _parse(request),
            client=caller_address(request),
        ),
        limits=limits,
    )
    if isinstance(triggered, Answer):
        return JSONResponse(triggered.body, status_code=status.HTTP_200_OK)
    if triggered.created:
        background.add_task(dispatcher.dispatch_quietly, triggered.id)
    return WebhookAccepted(execution_id=str(triggered.id), status="queued")
