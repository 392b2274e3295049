"""/api/v1/org/secrets: the org's environment secrets. Values go in; only metadata comes out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from agentflow.auth.subject import AuthSubject
from agentflow.kit.schemas import PageOf, page_of
from agentflow.rbac import Permission
from agentflow.secrets.schemas import SecretCreate, SecretPublic, SecretUpdate
from agentflow.secrets.service import secret_service
from api.deps import Authorize, PageDep, SecretStoreDep, SessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/org/secrets", tags=["secrets"], responses=ERROR_RESPONSES)

SecretReader = Annotated[AuthSubject, Depends(Authorize(Permission.secrets_read))]
SecretWriter = Annotated[AuthSubject, Depends(Authorize(Permission.secrets_write))]
# Any string reaches the service, which answers 404 for a name that cannot exist (e.g. `..`).
SecretName = Annotated[str, Path(description="The secret's name, e.g. `OPENAI_API_KEY`.")]


@router.get("", response_model=PageOf[SecretPublic])
async def list_secrets(subject: SecretReader, session: SessionDep, page: PageDep) -> PageOf[SecretPublic]:
    """Environment secrets: names, descriptions, versions and who changed them — never values."""
    result = await secret_service.list(session, subject=subject, cursor=page.cursor, limit=page.limit)
    return page_of(SecretPublic, result)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SecretPublic,
    responses={503: {"description": "The secret store (Vault) is down or sealed"}},
)
async def create_secret(
    body: SecretCreate, subject: SecretWriter, session: SessionDep, store: SecretStoreDep
) -> SecretPublic:
    """Create a secret; the value goes to Vault and is never shown again (admin+)."""
    return SecretPublic.model_validate(
        await secret_service.create(session, store, subject=subject, body=body)
    )


@router.get("/{name}", response_model=SecretPublic)
async def get_secret(name: SecretName, subject: SecretReader, session: SessionDep) -> SecretPublic:
    """One secret's metadata — never its value."""
    return SecretPublic.model_validate(await secret_service.get(session, subject=subject, name=name))


@router.put(
    "/{name}",
    response_model=SecretPublic,
    responses={503: {"description": "The secret store (Vault) is down or sealed"}},
)
async def update_secret(
    name: SecretName, body: SecretUpdate, subject: SecretWriter, session: SessionDep, store: SecretStoreDep
) -> SecretPublic:
    """Rotate the value (the version increments) and/or change the description (admin+)."""
    return SecretPublic.model_validate(
        await secret_service.update(session, store, subject=subject, name=name, body=body)
    )


@router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={503: {"description": "The secret store (Vault) is down or sealed"}},
)
async def delete_secret(
    name: SecretName, subject: SecretWriter, session: SessionDep, store: SecretStoreDep
) -> Response:
    """Delete the secret and every stored version of its value (admin+)."""
    await secret_service.delete(session, store, subject=subject, name=name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
