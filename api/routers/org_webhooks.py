"""/api/v1/org/webhooks: outbound webhook endpoints (signed per Standard Webhooks), their delivery logs,
test events, secret rotation and redelivery."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from agentflow.auth.subject import AuthSubject
from agentflow.kit.schemas import PageOf, page_of
from agentflow.rbac import Permission
from agentflow.webhooks_out.schemas import (
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookSecretRotated,
)
from agentflow.webhooks_out.service import delivery_public, webhook_endpoint_service
from api.deps import Authorize, EgressDep, PageDep, SecretStoreDep, SessionDep, SettingsDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/org/webhooks", tags=["webhooks"], responses=ERROR_RESPONSES)

HookReader = Annotated[AuthSubject, Depends(Authorize(Permission.webhooks_read))]
HookManager = Annotated[AuthSubject, Depends(Authorize(Permission.webhooks_manage))]


@router.get("", response_model=PageOf[WebhookEndpointPublic])
async def list_webhook_endpoints(
    subject: HookReader, session: SessionDep, page: PageDep
) -> PageOf[WebhookEndpointPublic]:
    """The organization's endpoints, newest first (secrets are never shown again)."""
    result = await webhook_endpoint_service.list(
        session, subject=subject, cursor=page.cursor, limit=page.limit
    )
    return page_of(WebhookEndpointPublic, result)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookEndpointCreated)
async def create_webhook_endpoint(
    body: WebhookEndpointCreate,
    subject: HookManager,
    session: SessionDep,
    store: SecretStoreDep,
    policy: EgressDep,
    settings: SettingsDep,
) -> WebhookEndpointCreated:
    """Add an endpoint. The signing secret (`whsec_…`) is in this response only."""
    endpoint, secret = await webhook_endpoint_service.create(
        session, store, policy, subject=subject, body=body, max_endpoints=settings.webhook_max_endpoints
    )
    return WebhookEndpointCreated.model_validate(
        {**WebhookEndpointPublic.model_validate(endpoint).model_dump(), "secret": secret}
    )


@router.get("/{endpoint_id}", response_model=WebhookEndpointPublic)
async def get_webhook_endpoint(
    endpoint_id: uuid.UUID, subject: HookReader, session: SessionDep
) -> WebhookEndpointPublic:
    """One endpoint."""
    endpoint = await webhook_endpoint_service.get(session, subject=subject, endpoint_id=endpoint_id)
    return WebhookEndpointPublic.model_validate(endpoint)


@router.put("/{endpoint_id}", response_model=WebhookEndpointPublic)
async def update_webhook_endpoint(
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    subject: HookManager,
    session: SessionDep,
    policy: EgressDep,
) -> WebhookEndpointPublic:
    """Change the URL, events, description, or enable/disable it (enabling clears its failure record)."""
    endpoint = await webhook_endpoint_service.update(
        session, policy, subject=subject, endpoint_id=endpoint_id, body=body
    )
    return WebhookEndpointPublic.model_validate(endpoint)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook_endpoint(
    endpoint_id: uuid.UUID, subject: HookManager, session: SessionDep, store: SecretStoreDep
) -> Response:
    """Delete an endpoint with its delivery log and secret; nothing more is sent to it."""
    await webhook_endpoint_service.delete(session, store, subject=subject, endpoint_id=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=WebhookDeliveryPublic
)
async def test_webhook_endpoint(
    endpoint_id: uuid.UUID, subject: HookManager, session: SessionDep
) -> WebhookDeliveryPublic:
    """Queue a `webhook.test` event to the endpoint; its outcome appears in the delivery log."""
    made = await webhook_endpoint_service.send_test(session, subject=subject, endpoint_id=endpoint_id)
    return delivery_public(made)


@router.post("/{endpoint_id}/rotate-secret", response_model=WebhookSecretRotated)
async def rotate_webhook_secret(
    endpoint_id: uuid.UUID, subject: HookManager, session: SessionDep, store: SecretStoreDep
) -> WebhookSecretRotated:
    """A new signing secret, in this response only; deliveries are signed with it from now on."""
    secret = await webhook_endpoint_service.rotate_secret(
        session, store, subject=subject, endpoint_id=endpoint_id
    )
    return WebhookSecretRotated(id=endpoint_id, secret=secret)


@router.get("/{endpoint_id}/deliveries", response_model=PageOf[WebhookDeliveryPublic])
async def list_webhook_deliveries(
    endpoint_id: uuid.UUID, subject: HookReader, session: SessionDep, page: PageDep
) -> PageOf[WebhookDeliveryPublic]:
    """The endpoint's delivery log, newest first: status, response code, latency, attempt, next retry."""
    result = await webhook_endpoint_service.deliveries(
        session, subject=subject, endpoint_id=endpoint_id, cursor=page.cursor, limit=page.limit
    )
    return PageOf[WebhookDeliveryPublic](
        items=[delivery_public(row) for row in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookDeliveryPublic,
)
async def redeliver_webhook(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, subject: HookManager, session: SessionDep
) -> WebhookDeliveryPublic:
    """Send a delivery's message again (a new log entry with the same `webhook-id` and payload)."""
    made = await webhook_endpoint_service.redeliver(
        session, subject=subject, endpoint_id=endpoint_id, delivery_id=delivery_id
    )
    return delivery_public(made)
