"""/api/v1/agents: drafts, publish, versions, rollback, diff, status, duplicate, export and import."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response, status

from agentflow.agents.documents import render
from agentflow.agents.schemas import (
    AgentCreate,
    AgentDetail,
    AgentDocument,
    AgentFilters,
    AgentStatusChange,
    AgentSummary,
    AgentUpdate,
    AgentVariables,
    DuplicateRequest,
    PublishRequest,
    RollbackRequest,
    VersionDiff,
    VersionPublic,
    VersionSummary,
    revision_etag,
)
from agentflow.agents.service import agent_service, shows_webhook
from agentflow.agents.versions import version_service
from agentflow.auth.subject import AuthSubject
from agentflow.errors import BadRequest
from agentflow.executions.service import execution_service
from agentflow.kit.schemas import PageOf, page_of
from agentflow.models import Agent, AgentStatus
from agentflow.nodes.trigger.model import TriggerKind
from agentflow.rbac import Permission
from api.bodies import DocumentBody
from api.deps import INT32_MAX, Authorize, DeployerDep, PageDep, PlanLimitsDep, SessionDep
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/agents", tags=["agents"], responses=ERROR_RESPONSES)

AgentReader = Annotated[AuthSubject, Depends(Authorize(Permission.agents_read))]
AgentWriter = Annotated[AuthSubject, Depends(Authorize(Permission.agents_write))]
AgentPublisher = Annotated[AuthSubject, Depends(Authorize(Permission.agents_publish))]
AgentArchiver = Annotated[AuthSubject, Depends(Authorize(Permission.agents_archive))]

# Rollback's body is optional (its one field is): no body, `{}` and `{"message": …}` all work.
_NO_ROLLBACK_BODY = RollbackRequest()
VersionNumber = Annotated[int, Path(ge=1, le=INT32_MAX, description="A published version's number.")]

_import_body = DocumentBody(AgentDocument)
ImportedDocument = Annotated[AgentDocument, Depends(_import_body)]

_ETAG = {"ETag": {"description": 'The draft revision, quoted (`"3"`): send it back as If-Match.'}}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "`edit_conflict`: edited since your revision (details name the current one)"},
    428: {"description": "`precondition_required`: neither If-Match nor `revision` was sent"},
}
_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The agent document as a file",
        "content": {"application/yaml": {}, "application/json": {}},
    }
}


async def _detail(session: SessionDep, response: Response, agent: Agent, subject: AuthSubject) -> AgentDetail:
    response.headers["ETag"] = revision_etag(agent.draft_revision)
    return await agent_service.describe(session, agent=agent, subject=subject)


def _if_match(value: str | None) -> int | None:
    """`"3"`, `W/"3"` or `3` → 3."""
    if value is None:
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise BadRequest(
            f'If-Match must be the ETag of GET /agents/{{id}} (a quoted revision such as "3"), not {value!r}',
            code="invalid_if_match",
        )
    return int(tag)


@router.get("", response_model=PageOf[AgentSummary])
async def list_agents(
    subject: AgentReader,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[
        AgentStatus | None, Query(alias="status", description="Archived agents are listed only this way.")
    ] = None,
    trigger_type: TriggerKind | None = None,
    team_id: uuid.UUID | None = None,
    tag: Annotated[
        list[str] | None, Query(max_length=20, description="Repeat: agents with every tag.")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name, any case.")] = None,
) -> PageOf[AgentSummary]:
    """Agents, newest first; archived ones only with `status=archived`."""
    filters = AgentFilters(
        status=status_,
        trigger_type=trigger_type,
        team_id=team_id,
        tags=[t.strip().lower() for t in tag or [] if t.strip()],
        q=q.strip() if q and q.strip() else None,
    )
    result = await agent_service.list(
        session, subject=subject, filters=filters, cursor=page.cursor, limit=page.limit
    )
    stats = await execution_service.run_stats(session, agent_ids=[agent.id for agent in result.items])
    listed = page_of(AgentSummary, result)
    hidden = {} if shows_webhook(subject) else {"webhook_token": None}
    listed.items = [item.model_copy(update={**stats.get(item.id, {}), **hidden}) for item in listed.items]
    return listed


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=AgentDetail, responses={201: {"headers": _ETAG}}
)
async def create_agent(
    body: AgentCreate, subject: AgentWriter, session: SessionDep, limits: PlanLimitsDep, response: Response
) -> AgentDetail:
    """Create a draft agent (editor+). Without a definition the draft is one manual trigger."""
    agent = await agent_service.create(session, limits=limits, subject=subject, body=body)
    return await _detail(session, response, agent, subject)


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    response_model=AgentDetail,
    openapi_extra=_import_body.openapi(),
)
async def import_agent(
    subject: AgentWriter,
    document: ImportedDocument,
    session: SessionDep,
    limits: PlanLimitsDep,
    response: Response,
) -> AgentDetail:
    """Create a draft agent from an exported document: JSON, YAML, or a file upload in `file` (editor+)."""
    agent = await agent_service.import_document(session, limits=limits, subject=subject, document=document)
    return await _detail(session, response, agent, subject)


@router.get("/{agent_id}", response_model=AgentDetail, responses={200: {"headers": _ETAG}})
async def get_agent(
    agent_id: uuid.UUID, subject: AgentReader, session: SessionDep, response: Response
) -> AgentDetail:
    """The agent with its draft, the draft's validation report and the current version."""
    agent = await agent_service.get(session, subject=subject, agent_id=agent_id)
    return await _detail(session, response, agent, subject)


@router.put("/{agent_id}", response_model=AgentDetail, responses={200: {"headers": _ETAG}, **_CONFLICT})
async def update_agent(
    agent_id: uuid.UUID,
    body: AgentUpdate,
    subject: AgentWriter,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header(description='The ETag of GET /agents/{id}, e.g. "3".')] = None,
) -> AgentDetail:
    """Edit metadata and/or the draft (editor+). Needs If-Match or `revision`; a stale one gets 409.

    An invalid draft is saved (drafts may be incomplete) and the response's `validation` lists what is
    wrong; a definition whose shape is wrong (unknown fields, wrong types) is refused with 422.
    """
    agent = await agent_service.update(
        session, subject=subject, agent_id=agent_id, body=body, if_match=_if_match(if_match)
    )
    return await _detail(session, response, agent, subject)


@router.delete("/{agent_id}", status_code=status.HTTP_204_NO_CONTENT)
async def archive_agent(
    agent_id: uuid.UUID, subject: AgentArchiver, session: SessionDep, deployer: DeployerDep
) -> Response:
    """Archive the agent (admin+): it stops running and leaves lists; its versions stay."""
    await agent_service.archive(session, subject=subject, agent_id=agent_id, deployer=deployer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{agent_id}/status", response_model=AgentSummary)
async def set_agent_status(
    agent_id: uuid.UUID,
    body: AgentStatusChange,
    subject: AgentPublisher,
    session: SessionDep,
    deployer: DeployerDep,
    limits: PlanLimitsDep,
) -> AgentSummary:
    """Activate or pause (editor+; needs a published version); archive or restore (admin+; a restored
    agent counts toward the plan's agents again)."""
    agent = await agent_service.set_status(
        session, limits=limits, subject=subject, agent_id=agent_id, status=body.status, deployer=deployer
    )
    return agent_service.summary(agent=agent, subject=subject)


@router.post("/{agent_id}/webhook/rotate", response_model=AgentSummary)
async def rotate_webhook(agent_id: uuid.UUID, subject: AgentPublisher, session: SessionDep) -> AgentSummary:
    """Give the agent a new webhook URL (editor+); the previous URL answers 404 from now on."""
    agent = await agent_service.rotate_webhook(session, subject=subject, agent_id=agent_id)
    return agent_service.summary(agent=agent, subject=subject)


@router.post("/{agent_id}/publish", status_code=status.HTTP_201_CREATED, response_model=VersionPublic)
async def publish_agent(
    agent_id: uuid.UUID,
    body: PublishRequest,
    subject: AgentPublisher,
    session: SessionDep,
    deployer: DeployerDep,
) -> VersionPublic:
    """Publish the draft as the next version (editor+): 422 with its errors if invalid, 409 if unchanged.

    The agent's Prefect deployment `run-agent/<agent id>` then runs it (with the trigger's schedule)."""
    version = await agent_service.publish(
        session, subject=subject, agent_id=agent_id, message=body.message, deployer=deployer
    )
    return VersionPublic.model_validate(version)


@router.get("/{agent_id}/versions", response_model=PageOf[VersionSummary])
async def list_versions(
    agent_id: uuid.UUID, subject: AgentReader, session: SessionDep, page: PageDep
) -> PageOf[VersionSummary]:
    """Published versions, newest first."""
    result = await version_service.versions(
        session, subject=subject, agent_id=agent_id, cursor=page.cursor, limit=page.limit
    )
    return page_of(VersionSummary, result)


@router.get("/{agent_id}/versions/{number}", response_model=VersionPublic)
async def get_version(
    agent_id: uuid.UUID, number: VersionNumber, subject: AgentReader, session: SessionDep
) -> VersionPublic:
    """One version with its frozen definition."""
    version = await version_service.version(session, subject=subject, agent_id=agent_id, number=number)
    return VersionPublic.model_validate(version)


@router.post(
    "/{agent_id}/versions/{number}/rollback",
    status_code=status.HTTP_201_CREATED,
    response_model=VersionPublic,
)
async def rollback_agent(
    agent_id: uuid.UUID,
    number: VersionNumber,
    subject: AgentPublisher,
    session: SessionDep,
    deployer: DeployerDep,
    body: Annotated[RollbackRequest, Body()] = _NO_ROLLBACK_BODY,
) -> VersionPublic:
    """Make version `number`'s definition the draft and publish it as a new version (editor+).

    The body is optional: without one (or without `message`) the version is described as a rollback."""
    version = await agent_service.rollback(
        session,
        subject=subject,
        agent_id=agent_id,
        number=number,
        message=body.message,
        deployer=deployer,
    )
    return VersionPublic.model_validate(version)


@router.get("/{agent_id}/versions/{a}/diff/{b}", response_model=VersionDiff)
async def diff_versions(
    agent_id: uuid.UUID, a: VersionNumber, b: VersionNumber, subject: AgentReader, session: SessionDep
) -> VersionDiff:
    """What changed from version `a` to version `b`: nodes, fields, edges, settings."""
    diff = await version_service.diff(session, subject=subject, agent_id=agent_id, a=a, b=b)
    return VersionDiff.model_validate({**diff.model_dump(), "from_version": a, "to_version": b})


@router.post(
    "/{agent_id}/duplicate",
    status_code=status.HTTP_201_CREATED,
    response_model=AgentDetail,
    responses={201: {"headers": _ETAG}},
)
async def duplicate_agent(
    agent_id: uuid.UUID,
    body: DuplicateRequest,
    subject: AgentWriter,
    session: SessionDep,
    limits: PlanLimitsDep,
    response: Response,
) -> AgentDetail:
    """A new draft agent with a copy of this one's draft, description, tags and team (editor+)."""
    agent = await agent_service.duplicate(
        session, limits=limits, subject=subject, agent_id=agent_id, name=body.name
    )
    return await _detail(session, response, agent, subject)


@router.get("/{agent_id}/export", response_class=Response, responses=_DOCUMENT)
async def export_agent(
    agent_id: uuid.UUID,
    subject: AgentReader,
    session: SessionDep,
    format: Literal["yaml", "json"] = "yaml",
    version: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="A published version; the draft if omitted.")
    ] = None,
) -> Response:
    """The agent as a YAML or JSON file (name, description, tags, definition), for import elsewhere."""
    document = await version_service.export(session, subject=subject, agent_id=agent_id, version=version)
    rendered = render(document, format)
    return Response(
        content=rendered.text,
        media_type=f"{rendered.media_type}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )


@router.get("/{agent_id}/variables", response_model=AgentVariables)
async def agent_variables(
    agent_id: uuid.UUID,
    subject: AgentReader,
    session: SessionDep,
    node: Annotated[str, Query(min_length=1, max_length=64, examples=["classify"], description="A node id.")],
) -> AgentVariables:
    """What a draft node's templates may reference: upstream outputs with shapes, env, loop, execution."""
    variables = await version_service.variables(session, subject=subject, agent_id=agent_id, node_id=node)
    return AgentVariables(node_id=node, variables=variables)
