"""Agent rules: drafts saved with their validation report, optimistic concurrency, publish and rollback."""

from __future__ import annotations

import builtins
import copy
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from agentflow.agents import access, definitions
from agentflow.agents.access_service import access_service
from agentflow.agents.publish_checks import integration_issues, unknown_knowledge_bases, unknown_tool_targets
from agentflow.agents.repository import AgentRepository, AgentVersionRepository
from agentflow.agents.schemas import (
    AgentCreate,
    AgentDetail,
    AgentDocument,
    AgentFilters,
    AgentSummary,
    AgentUpdate,
    StatusTarget,
    VersionSummary,
    revision_etag,
)
from agentflow.agents.versions import version_of
from agentflow.auth.subject import AuthSubject
from agentflow.billing.limits import PlanLimits
from agentflow.billing.plans import LimitName
from agentflow.engine.control.deployments import AgentDeployer, webhook_token
from agentflow.errors import Conflict, NotFound, ValidationFailed
from agentflow.kit.pagination import Page
from agentflow.models import Agent, AgentStatus, AgentVersion
from agentflow.orgs.repository import OrganizationRepository
from agentflow.rbac import Permission
from agentflow.teams.repository import TeamRepository
from agentflow.webhooks_out import service as webhooks
from agentflow.webhooks_out.events import WebhookEvent, agent_data

_NAME_LIMIT = 200


def shows_webhook(subject: AuthSubject) -> bool:
    """The webhook URL is a credential that starts runs: only callers with `agents:execute` see it."""
    return Permission.agents_execute in subject.permissions


class AgentService:
    async def list(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        filters: AgentFilters,
        cursor: str | None,
        limit: int,
    ) -> Page[Agent]:
        """Agents of the caller's org, newest first, filtered; archived ones only when asked for."""
        return await AgentRepository(session).page_filtered(
            subject.org_id, filters, cursor=cursor, limit=limit, visible=access.visible(subject)
        )

    async def get(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        agent_id: uuid.UUID,
        permission: Permission = Permission.agents_read,
    ) -> Agent:
        """One agent of the caller's org they may reach with `permission` (agents/access.py): 404 for any
        other org's agent or a restricted one they may not read, 403 when they may only read it."""
        return await access.load(session, subject=subject, agent_id=agent_id, permission=permission)

    async def current_version(self, session: AsyncSession, *, agent: Agent) -> AgentVersion | None:
        """The published version that runs, if any."""
        if agent.current_version is None:
            return None
        return await AgentVersionRepository(session).get_number(agent.org_id, agent.id, agent.current_version)

    def summary(self, *, agent: Agent, subject: AuthSubject) -> AgentSummary:
        """The agent as lists show it; its webhook URL only to callers who may run it."""
        summary = AgentSummary.model_validate(agent)
        return summary if shows_webhook(subject) else summary.model_copy(update={"webhook_token": None})

    async def describe(self, session: AsyncSession, *, agent: Agent, subject: AuthSubject) -> AgentDetail:
        """The agent with its draft, the validation report of the draft and its current version."""
        current = await self.current_version(session, agent=agent)
        checked = definitions.draft_report(agent.draft_definition)
        return AgentDetail.model_validate(
            {
                **AgentSummary.model_validate(agent).model_dump(exclude={"webhook_url"}),
                "webhook_token": agent.webhook_token if shows_webhook(subject) else None,
                "created_by": agent.created_by,
                "updated_by": agent.updated_by,
                "draft": agent.draft_definition,
                "current": VersionSummary.model_validate(current) if current is not None else None,
                "validation": checked.report,
                "publishable": checked.publishable,
            }
        )

    async def create(
        self, session: AsyncSession, *, limits: PlanLimits, subject: AuthSubject, body: AgentCreate
    ) -> Agent:
        """A new draft agent; without a definition its draft is one manual trigger (402 over the plan)."""
        if body.team_id is not None:
            await self._require_team(session, subject, body.team_id)
        raw = body.definition if body.definition is not None else definitions.starter_definition()
        return await self._add(
            session,
            limits,
            subject,
            name=body.name,
            description=body.description,
            tags=body.tags,
            team_id=body.team_id,
            draft=definitions.accepted(raw),
        )

    async def import_document(
        self, session: AsyncSession, *, limits: PlanLimits, subject: AuthSubject, document: AgentDocument
    ) -> Agent:
        """A new draft agent from an exported document (name, description, tags, definition)."""
        return await self._add(
            session,
            limits,
            subject,
            name=document.name,
            description=document.description,
            tags=document.tags,
            team_id=None,
            draft=definitions.accepted(document.definition),
        )

    async def update(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        agent_id: uuid.UUID,
        body: AgentUpdate,
        if_match: int | None,
    ) -> Agent:
        """Edit metadata and/or the draft, if based on the current revision (409 `edit_conflict` if not)."""
        agent = await self._editable(session, subject, agent_id, Permission.agents_write)
        expected = definitions.expected_revision(if_match, body.revision)
        if expected != agent.draft_revision:
            raise Conflict(
                f"Agent {agent.id} was edited by someone else: your edit is based on revision {expected}, "
                f"the agent is now at revision {agent.draft_revision}. Reload it and apply your edit again.",
                code="edit_conflict",
                details={"current_revision": agent.draft_revision, "your_revision": expected},
                headers={"ETag": revision_etag(agent.draft_revision)},
            )
        changed = False
        if "team_id" in body.model_fields_set and body.team_id != agent.team_id:
            if agent.restricted:  # the owning team decides who reaches a restricted agent
                await access_service.require_manager(session, subject=subject, agent=agent)
            if body.team_id is not None:
                await self._require_team(session, subject, body.team_id)
        for name in ("name", "description", "tags", "team_id"):
            value = getattr(body, name)
            sent = name in body.model_fields_set and (value is not None or name == "team_id")
            if sent and getattr(agent, name) != value:
                setattr(agent, name, value)
                changed = True
        if body.definition is not None:
            draft = definitions.accepted(body.definition)
            if _as_written(draft) != _as_written(agent.draft_definition):
                self._set_draft(agent, draft)
                changed = True
        if changed:
            agent.draft_revision += 1
            agent.updated_by = subject.user_id
            await session.flush()
        return agent

    async def archive(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        agent_id: uuid.UUID,
        deployer: AgentDeployer | None = None,
        permission: Permission = Permission.agents_write,
    ) -> None:
        """Soft-delete: the agent stops running, leaves lists, becomes read-only; its history stays."""
        agent = await self._locked(session, subject, agent_id, permission)
        if agent.status != AgentStatus.archived:
            agent.status = AgentStatus.archived
            agent.archived_at = datetime.now(UTC)
            agent.updated_by = subject.user_id
            await session.flush()
            if deployer is not None:
                await deployer.status_changed(agent)

    async def set_status(
        self,
        session: AsyncSession,
        *,
        limits: PlanLimits,
        subject: AuthSubject,
        agent_id: uuid.UUID,
        status: StatusTarget,
        deployer: AgentDeployer | None = None,
    ) -> Agent:
        """Activate, pause, archive or restore; running states need a published version, and restoring
        needs room in the plan's agents."""
        agent = await self._locked(session, subject, agent_id, Permission.agents_publish)
        if AgentStatus.archived in (status, agent.status):
            subject.require(Permission.agents_archive)
        if status == agent.status:
            return agent
        if status == AgentStatus.archived:
            await self.archive(
                session,
                subject=subject,
                agent_id=agent.id,
                deployer=deployer,
                permission=Permission.agents_publish,
            )
            return agent
        if status in (AgentStatus.active, AgentStatus.paused) and agent.current_version is None:
            raise Conflict(
                f"Agent {agent.id} has no published version to run; publish one first",
                code="not_published",
            )
        if status == AgentStatus.draft and agent.current_version is not None:
            raise Conflict(
                f"Agent {agent.id} has published versions, so it is active or paused, not a draft",
                code="invalid_status",
            )
        if agent.status == AgentStatus.archived:
            await limits.check(session, org_id=subject.org_id, limit=LimitName.agents)
        agent.status = status
        agent.archived_at = None
        agent.updated_by = subject.user_id
        await session.flush()
        if status in _STATUS_EVENTS:
            await _emit(session, _STATUS_EVENTS[status], agent)
        if deployer is not None:
            await deployer.status_changed(agent)
        return agent

    async def rotate_webhook(
        self, session: AsyncSession, *, subject: AuthSubject, agent_id: uuid.UUID
    ) -> Agent:
        """A new webhook URL for the agent; the old one stops working at once."""
        agent = await self._editable(session, subject, agent_id, Permission.agents_publish)
        if agent.webhook_token is None:
            raise Conflict(
                "This agent has no webhook: publish it with a webhook trigger first", code="no_webhook"
            )
        agent.webhook_token = webhook_token()
        agent.updated_by = subject.user_id
        await session.flush()
        return agent

    async def duplicate(
        self,
        session: AsyncSession,
        *,
        limits: PlanLimits,
        subject: AuthSubject,
        agent_id: uuid.UUID,
        name: str | None,
    ) -> Agent:
        """A new draft agent with a copy of this one's draft and metadata (no versions); a copy of a
        restricted agent is restricted to the same team and grants (a copy must not widen who sees it)."""
        source = await self.get(session, subject=subject, agent_id=agent_id)
        copied = await self._add(
            session,
            limits,
            subject,
            name=name or f"Copy of {source.name}"[:_NAME_LIMIT],
            description=source.description,
            tags=list(source.tags),
            team_id=source.team_id,
            draft=copy.deepcopy(source.draft_definition),
        )
        if source.restricted:
            await access_service.copy(session, source=source, target=copied)
        return copied

    async def publish(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        agent_id: uuid.UUID,
        message: str,
        deployer: AgentDeployer | None = None,
    ) -> AgentVersion:
        """Freeze the draft as version N+1 and make it current; 422 if it is invalid, 409 if unchanged.

        The one place a version is made (rollback comes through here too); the deployer then points the
        agent's Prefect deployment at it.
        """
        agent = await self._editable(session, subject, agent_id, Permission.agents_publish)
        defn = definitions.parse(agent.draft_definition)
        report = definitions.publish_report(defn)
        report.errors.extend(await unknown_knowledge_bases(session, agent.org_id, defn))
        runnable = access.visible(subject, Permission.agents_execute)  # agent tools: only what they may run
        report.errors.extend(await unknown_tool_targets(session, agent.org_id, defn, runnable))
        report.errors.extend(await integration_issues(session, agent.org_id, defn))
        if not report.ok:
            raise ValidationFailed(
                definitions.refusal(report),
                code="invalid_draft",
                details=report.model_dump(),
            )
        data = copy.deepcopy(agent.draft_definition)
        checksum = definitions.checksum(data)
        current = await self.current_version(session, agent=agent)
        if current is not None and current.checksum == checksum:
            raise Conflict(
                f"The draft is the same as version {current.number}, which is current; nothing to publish",
                code="nothing_to_publish",
                details={"current_version": current.number},
            )
        versions = AgentVersionRepository(session)
        version = await versions.add(
            AgentVersion(
                org_id=agent.org_id,
                agent_id=agent.id,
                number=await versions.latest_number(agent.id) + 1,
                definition=data,
                message=message,
                published_by=subject.user_id,
                published_at=datetime.now(UTC),
                checksum=checksum,
            )
        )
        agent.current_version = version.number
        agent.trigger_type = definitions.trigger_kind(data)
        activated = agent.status == AgentStatus.draft
        if activated:
            agent.status = AgentStatus.active
        await session.flush()
        await _emit(session, WebhookEvent.agent_published, agent)
        if activated:  # a first publish makes it run: receivers of agent.activated hear of it too
            await _emit(session, WebhookEvent.agent_activated, agent)
        if deployer is not None:
            org = await OrganizationRepository(session).get(agent.org_id)
            await deployer.published(agent, version, org_slug=org.slug if org else str(agent.org_id))
        return version

    async def rollback(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        agent_id: uuid.UUID,
        number: int,
        message: str | None,
        deployer: AgentDeployer | None = None,
    ) -> AgentVersion:
        """Make version `number`'s definition the draft and publish it as a new version."""
        agent = await self._editable(session, subject, agent_id, Permission.agents_publish)
        target = await version_of(session, agent, number)
        current = await self.current_version(session, agent=agent)
        if current is not None and current.checksum == target.checksum:
            raise Conflict(
                f"Version {number} has the same definition as version {current.number}, which is current; "
                "nothing to roll back",
                code="nothing_to_publish",
                details={"current_version": current.number},
            )
        self._set_draft(agent, copy.deepcopy(target.definition))
        agent.draft_revision += 1
        agent.updated_by = subject.user_id
        await session.flush()  # publish re-reads the agent under its lock
        return await self.publish(
            session,
            subject=subject,
            agent_id=agent.id,
            message=message or f"Rollback to version {number}",
            deployer=deployer,
        )

    async def _add(
        self,
        session: AsyncSession,
        limits: PlanLimits,
        subject: AuthSubject,
        *,
        name: str,
        description: str,
        tags: builtins.list[str],
        team_id: uuid.UUID | None,
        draft: dict[str, Any],
    ) -> Agent:
        await limits.check(session, org_id=subject.org_id, limit=LimitName.agents)
        return await AgentRepository(session).add(
            Agent(
                org_id=subject.org_id,
                name=name,
                description=description,
                status=AgentStatus.draft,
                trigger_type=definitions.trigger_kind(draft),
                draft_definition=draft,
                draft_revision=1,
                team_id=team_id,
                tags=tags,
                created_by=subject.user_id,
                updated_by=subject.user_id,
            )
        )

    async def _locked(
        self, session: AsyncSession, subject: AuthSubject, agent_id: uuid.UUID, permission: Permission
    ) -> Agent:
        """The agent locked for an edit, if the caller may reach it with `permission` (404/403)."""
        return await access.load(
            session, subject=subject, agent_id=agent_id, permission=permission, lock=True
        )

    async def _editable(
        self, session: AsyncSession, subject: AuthSubject, agent_id: uuid.UUID, permission: Permission
    ) -> Agent:
        agent = await self._locked(session, subject, agent_id, permission)
        if agent.status == AgentStatus.archived:
            raise Conflict(
                f"Agent {agent.id} is archived and read-only; restore it first (PUT /agents/{{id}}/status)",
                code="agent_archived",
            )
        return agent

    async def _require_team(self, session: AsyncSession, subject: AuthSubject, team_id: uuid.UUID) -> None:
        if await TeamRepository(session).get_in_org(subject.org_id, team_id) is None:
            raise NotFound.resource("Team", team_id)

    def _set_draft(self, agent: Agent, draft: dict[str, Any]) -> None:
        agent.draft_definition = draft
        flag_modified(agent, "draft_definition")  # a change of key order alone is a change too
        if agent.current_version is None:
            agent.trigger_type = definitions.trigger_kind(draft)


# Status changes an org's webhook endpoints may subscribe to (archiving is not one).
_STATUS_EVENTS: dict[str, WebhookEvent] = {
    AgentStatus.active.value: WebhookEvent.agent_activated,
    AgentStatus.paused.value: WebhookEvent.agent_deactivated,
}


async def _emit(session: AsyncSession, event: WebhookEvent, agent: Agent) -> None:
    """Queue the webhook deliveries of an agent change in the change's transaction."""
    data = agent_data(agent_id=agent.id, name=agent.name, status=agent.status, version=agent.current_version)
    await webhooks.emit(session, org_id=agent.org_id, event=event, data=data)


def _as_written(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


agent_service = AgentService()
