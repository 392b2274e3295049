"""POST /api/v1/hooks/{token}: the webhook that starts an agent (no login: the token is the credential)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, BackgroundTasks, Header, Request, status
from pydantic import BaseModel

from agentflow.engine import webhooks
from agentflow.engine.errors import StepError
from agentflow.errors import BadRequest, NotFound, Unauthorized, ValidationFailed
from agentflow.nodes.trigger import check_input
from agentflow.secrets.paths import SecretKind, SecretRef
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
    `signing_secret`, `X-AgentFlow-Signature: sha256=<hex HMAC-SHA256 of the raw body>` is required.
    """
    agent = await webhooks.find_agent(reader, token) if len(token) <= 100 else None
    if agent is None or not agent.active or agent.trigger.get("kind") != "webhook":
        raise NotFound("No active webhook at this URL", code="unknown_webhook")
    secret_name = agent.trigger.get("signing_secret")
    if secret_name:
        secret = await secrets.read_value(
            SecretRef(org_id=agent.org_id, kind=SecretKind.env, name=secret_name)
        )
        if secret is None or not webhooks.signature_valid(
            await request.body(), secret, request.headers.get(webhooks.SIGNATURE_HEADER)
        ):
            raise Unauthorized("Missing or wrong X-AgentFlow-Signature", code="invalid_signature")
    body = await _parse(request)
    try:
        check_input(agent.trigger.get("input_schema"), body)
    except StepError as exc:
        raise ValidationFailed(exc.message, code="invalid_input") from exc
    execution_id, created = await webhooks.record(
        reader,
        agent,
        webhooks.run_input(body, dict(request.headers), dict(request.query_params)),
        idempotency_key,
    )
    if created:
        background.add_task(dispatcher.dispatch_quietly, execution_id)
    return WebhookAccepted(execution_id=str(execution_id), status="queued")
