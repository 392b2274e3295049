"""Repository base: every query goes through one, holding the session; tenant repos scope by org."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.kit.models import RecordModel, TenantModel
from agentflow.kit.pagination import Page, make_page, paginate_statement

M = TypeVar("M", bound=RecordModel)
R = TypeVar("R")
TM = TypeVar("TM", bound=TenantModel)


class Repository(Generic[M]):
    """Plain access to one model; subclasses add the queries their service needs."""

    model: type[M]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, row_id: uuid.UUID) -> M | None:
        return await self.session.get(self.model, row_id)

    async def add(self, row: M) -> M:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete(self, row: M) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def all(self, statement: Select[R]) -> Sequence[R]:
        return (await self.session.execute(statement)).scalars().all()

    async def one_or_none(self, statement: Select[R]) -> R | None:
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def page(self, statement: Select[Any], *, cursor: str | None, limit: int) -> Page[M]:
        stmt = paginate_statement(
            statement, created_at=self.model.created_at, row_id=self.model.id, cursor=cursor, limit=limit
        )
        rows = (await self.session.execute(stmt)).scalars().all()
        return make_page(rows, limit, key=lambda r: (r.created_at, r.id))


class TenantRepository(Repository[TM]):
    """Every read starts from `readable(org_id)`, so another org's row is simply not found."""

    def readable(self, org_id: uuid.UUID) -> Select[TM]:
        return select(self.model).where(self.model.org_id == org_id)

    async def get_in_org(self, org_id: uuid.UUID, row_id: uuid.UUID) -> TM | None:
        return await self.one_or_none(self.readable(org_id).where(self.model.id == row_id))
