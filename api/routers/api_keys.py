"""/api/v1/org/api-keys: create (shown once), list, revoke."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from agentflow.api_keys.schemas import APIKeyCreate, APIKeyCreated, APIKeyPublic
from agentflow.api_keys.service import api_key_service
from agentflow.auth.subject import AuthSubject
from agentflow.kit.schemas import PageOf, page_of
from agentflow.rbac import Permission
from api.deps import Authorize, PageDep, SessionDep, forget_credentials
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/org/api-keys", tags=["api keys"], responses=ERROR_RESPONSES)

KeyReader = Annotated[AuthSubject, Depends(Authorize(Permission.api_keys_read))]
KeyWriter = Annotated[AuthSubject, Depends(Authorize(Permission.api_keys_write))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=APIKeyCreated)
async def create_api_key(body: APIKeyCreate, subject: KeyWriter, session: SessionDep) -> APIKeyCreated:
    """Create a key. The full key is in this response only; afterwards only its prefix is shown."""
    created = await api_key_service.create(session, subject=subject, body=body)
    return APIKeyCreated.model_validate(
        {**APIKeyPublic.model_validate(created.api_key).model_dump(), "key": created.raw_key}
    )


@router.get("", response_model=PageOf[APIKeyPublic])
async def list_api_keys(subject: KeyReader, session: SessionDep, page: PageDep) -> PageOf[APIKeyPublic]:
    """Active keys: name, prefix, scopes, who created them, when last used."""
    result = await api_key_service.list(session, subject=subject, cursor=page.cursor, limit=page.limit)
    return page_of(APIKeyPublic, result)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(
    key_id: uuid.UUID, subject: KeyWriter, session: SessionDep, request: Request
) -> Response:
    """Revoke a key; requests using it get 401 from now on."""
    await api_key_service.revoke(session, subject=subject, key_id=key_id)
    forget_credentials(request)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
