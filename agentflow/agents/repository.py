"""Queries on agents and their versions."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence

import orjson
from sqlalchemy import ColumnElement, func, select

from agentflow.agents.schemas import AgentFilters
from agentflow.errors import BadRequest
from agentflow.kit.pagination import Page
from agentflow.kit.repository import TenantRepository
from agentflow.models import Agent, AgentGrant, AgentStatus, AgentVersion, OrgMembership, Team


def _like_pattern(text: str) -> str:
    """`%text%` for LIKE, with the user's own `%`, `_` and `\\` matched literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class AgentRepository(TenantRepository[Agent]):
    model = Agent

    async def page_filtered(
        self,
        org_id: uuid.UUID,
        filters: AgentFilters,
        *,
        cursor: str | None,
        limit: int,
        visible: ColumnElement[bool],
    ) -> Page[Agent]:
        """`visible`: the caller's per-agent access (agents/access.py)."""
        stmt = self.readable(org_id).where(visible)
        if filters.status is not None:
            stmt = stmt.where(Agent.status == filters.status)
        else:
            stmt = stmt.where(Agent.status != AgentStatus.archived)
        if filters.trigger_type is not None:
            stmt = stmt.where(Agent.trigger_type == filters.trigger_type)
        if filters.team_id is not None:
            stmt = stmt.where(Agent.team_id == filters.team_id)
        if filters.tags:
            stmt = stmt.where(Agent.tags.contains(filters.tags))  # has every tag asked for (GIN)
        if filters.q:
            stmt = stmt.where(func.lower(Agent.name).like(_like_pattern(filters.q), escape="\\"))
        return await self.page(stmt, cursor=cursor, limit=limit)


def _encode_number(number: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([number])).decode().rstrip("=")


def _decode_number(cursor: str) -> int:
    try:
        (number,) = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise BadRequest("Invalid pagination cursor", code="invalid_cursor") from exc
    if not isinstance(number, int):
        raise BadRequest("Invalid pagination cursor", code="invalid_cursor")
    return number


class AgentVersionRepository(TenantRepository[AgentVersion]):
    model = AgentVersion

    async def get_number(self, org_id: uuid.UUID, agent_id: uuid.UUID, number: int) -> AgentVersion | None:
        return await self.one_or_none(
            self.readable(org_id).where(AgentVersion.agent_id == agent_id, AgentVersion.number == number)
        )

    async def latest_number(self, agent_id: uuid.UUID) -> int:
        """The highest version number of the agent, 0 if none (call with the agent locked)."""
        found = await self.session.scalar(
            select(func.max(AgentVersion.number)).where(AgentVersion.agent_id == agent_id)
        )
        return int(found or 0)

    async def page_newest_first(
        self, org_id: uuid.UUID, agent_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> Page[AgentVersion]:
        """Keyset on the version number (the unique (agent_id, number) index), highest first."""
        stmt = self.readable(org_id).where(AgentVersion.agent_id == agent_id)
        if cursor:
            stmt = stmt.where(AgentVersion.number < _decode_number(cursor))
        rows = await self.all(stmt.order_by(AgentVersion.number.desc()).limit(limit + 1))
        if len(rows) <= limit:
            return Page(items=rows, next_cursor=None)
        return Page(items=rows[:limit], next_cursor=_encode_number(rows[limit - 1].number))


class AgentGrantRepository(TenantRepository[AgentGrant]):
    model = AgentGrant

    async def of_agent(self, org_id: uuid.UUID, agent_id: uuid.UUID) -> Sequence[AgentGrant]:
        """The agent's grants, teams first, then users, in a stable order."""
        return await self.all(
            self.readable(org_id)
            .where(AgentGrant.agent_id == agent_id)
            .order_by(AgentGrant.team_id.nulls_last(), AgentGrant.user_id, AgentGrant.id)
        )

    async def teams_in_org(self, org_id: uuid.UUID, team_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these teams are the org's."""
        ids = list(team_ids)
        if not ids:
            return set()
        found = await self.session.scalars(select(Team.id).where(Team.org_id == org_id, Team.id.in_(ids)))
        return set(found)

    async def members_in_org(self, org_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these users are members of the org."""
        ids = list(user_ids)
        if not ids:
            return set()
        found = await self.session.scalars(
            select(OrgMembership.user_id).where(
                OrgMembership.org_id == org_id, OrgMembership.user_id.in_(ids)
            )
        )
        return set(found)
