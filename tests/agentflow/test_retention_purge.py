"""The retention purge on committed rows: only executions created before the cut-off go (the boundary), in
batches, with their steps, events, logs and Vault checkpoints; runs still under way, other orgs, an org
whose notice week is running and an unlimited org keep everything; a Vault outage deletes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import hvac.exceptions
import pytest
from pydantic import SecretStr
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agentflow.config import Settings
from agentflow.db import create_sessionmaker
from agentflow.engine.worker.checkpoints import checkpoint_ref
from agentflow.models import (
    Execution,
    ExecutionEvent,
    ExecutionLog,
    ExecutionStep,
    Organization,
)
from agentflow.retention.purge import purge
from agentflow.secrets.store import SecretStore
from tests.conftest import vault_info
from tests.factories import Member, create_agent, create_org_with_owner
from tests.support.usage import add_execution
from tests.vault import root_client

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=30)


@pytest.fixture
def worker_store(settings: Settings) -> SecretStore:
    """Vault as the worker reaches it: its own AppRole, whose policy may delete checkpoints."""
    vault = vault_info()
    return SecretStore.from_settings(
        settings.model_copy(
            update={
                "vault_role_id": vault["worker"]["role_id"],
                "vault_secret_id": SecretStr(vault["worker"]["secret_id"]),
            }
        )
    )


class Org:
    def __init__(self, engine: AsyncEngine, member: Member, agent: uuid.UUID) -> None:
        self.engine, self.member, self.agent = engine, member, agent
        self.sessions = create_sessionmaker(engine)

    @property
    def id(self) -> uuid.UUID:
        return self.member.org_id

    async def execution(
        self, created_at: datetime, status: str = "completed", *, checkpoint: bool = False
    ) -> uuid.UUID:
        async with self.sessions() as session, session.begin():
            execution_id = await add_execution(
                session,
                org_id=self.id,
                agent_id=self.agent,
                created_at=created_at,
                status=status,
                steps=[{"step_key": "classify"}],
            )
            session.add(ExecutionEvent(org_id=self.id, execution_id=execution_id, type="step.completed"))
            session.add(ExecutionLog(org_id=self.id, execution_id=execution_id, level="info", message="hi"))
            if checkpoint:
                await session.execute(
                    update(ExecutionStep)
                    .where(ExecutionStep.execution_id == execution_id)
                    .values(output_in_vault=True)
                )
        if checkpoint:
            root_client().secrets.kv.v2.create_or_update_secret(
                path=self.checkpoint_path(execution_id), secret={"output": "{}"}, mount_point="secret"
            )
        return execution_id

    def checkpoint_path(self, execution_id: uuid.UUID) -> str:
        return checkpoint_ref(self.id, execution_id, "classify").path("agentflow")

    async def retention(self, days: int | None, purge_from: datetime | None = None) -> None:
        async with self.sessions() as session, session.begin():
            org = await session.get(Organization, self.id)
            assert org is not None
            org.settings = {**org.settings, "retention_days": days} if days else {}
            org.retention_purge_from = purge_from

    async def remaining(self) -> set[uuid.UUID]:
        async with self.sessions() as session:
            found = await session.execute(select(Execution.id).where(Execution.org_id == self.id))
            return set(found.scalars())

    async def count(self, model: type[ExecutionStep] | type[ExecutionEvent] | type[ExecutionLog]) -> int:
        async with self.sessions() as session:
            found = await session.execute(
                select(func.count()).select_from(model).where(model.org_id == self.id)
            )
            return int(found.scalar_one())


@pytest.fixture
async def make_org(engine: AsyncEngine, settings: Settings) -> AsyncIterator[object]:
    made: list[uuid.UUID] = []
    sessions = create_sessionmaker(engine)

    async def make(name: str = "Retention") -> Org:
        async with sessions() as session, session.begin():
            member = await create_org_with_owner(session, settings, name=name)
            agent = await create_agent(session, member)
        made.append(member.org_id)
        return Org(engine, member, agent)

    yield make
    async with sessions() as session, session.begin():
        await session.execute(delete(Organization).where(Organization.id.in_(made)))


def checkpoint_exists(path: str) -> bool:
    try:
        root_client().secrets.kv.v2.read_secret_version(
            path=path, mount_point="secret", raise_on_deleted_version=True
        )
    except hvac.exceptions.InvalidPath:
        return False
    return True


async def test_only_ended_executions_older_than_the_cutoff_go_with_their_rows_and_checkpoints(
    engine: AsyncEngine, make_org: object, worker_store: SecretStore
) -> None:
    org: Org = await make_org()  # type: ignore[operator]
    await org.retention(30)
    just_old = await org.execution(CUTOFF - timedelta(seconds=1), checkpoint=True)
    very_old = await org.execution(CUTOFF - timedelta(days=300), status="failed")
    at_cutoff = await org.execution(CUTOFF)
    young = await org.execution(CUTOFF + timedelta(seconds=1), checkpoint=True)
    paused = await org.execution(CUTOFF - timedelta(days=5), status="paused")
    neighbour: Org = await make_org("Neighbour")  # type: ignore[operator]
    theirs = await neighbour.execution(CUTOFF - timedelta(days=5))  # no retention: kept

    for target in (org, neighbour):
        report = await purge(engine, worker_store, now=NOW, org_id=target.id)
        assert report.failed_orgs == []
    assert await org.remaining() == {at_cutoff, young, paused}
    assert await neighbour.remaining() == {theirs}
    # Steps, events and logs went with their executions.
    for model in (ExecutionStep, ExecutionEvent, ExecutionLog):
        assert await org.count(model) == 3
    assert not checkpoint_exists(org.checkpoint_path(just_old))
    assert checkpoint_exists(org.checkpoint_path(young))
    assert very_old not in await org.remaining()


async def test_the_purge_goes_in_batches(
    engine: AsyncEngine, make_org: object, worker_store: SecretStore
) -> None:
    org: Org = await make_org()  # type: ignore[operator]
    await org.retention(90)
    old = [await org.execution(NOW - timedelta(days=91 + i)) for i in range(5)]
    kept = await org.execution(NOW - timedelta(days=89))
    report = await purge(engine, worker_store, now=NOW, org_id=org.id, batch=2)
    assert (report.executions, report.batches) == (5, 3)
    assert await org.remaining() == {kept}
    assert set(old).isdisjoint(await org.remaining())


async def test_unlimited_and_the_notice_week_keep_everything(
    engine: AsyncEngine, make_org: object, worker_store: SecretStore
) -> None:
    unlimited: Org = await make_org()  # type: ignore[operator]
    ancient = await unlimited.execution(NOW - timedelta(days=3650))
    await unlimited.retention(None)
    assert (await purge(engine, worker_store, now=NOW, org_id=unlimited.id)).orgs == 0
    assert await unlimited.remaining() == {ancient}

    noticed: Org = await make_org()  # type: ignore[operator]
    old = await noticed.execution(NOW - timedelta(days=400))
    await noticed.retention(365, purge_from=NOW + timedelta(seconds=1))
    await purge(engine, worker_store, now=NOW, org_id=noticed.id)
    assert await noticed.remaining() == {old}  # still within the week's notice
    await purge(engine, worker_store, now=NOW + timedelta(seconds=1), org_id=noticed.id)
    assert await noticed.remaining() == set()


async def test_vault_down_deletes_nothing_and_reports_the_org(
    engine: AsyncEngine, make_org: object, settings: Settings
) -> None:
    org: Org = await make_org()  # type: ignore[operator]
    await org.retention(30)
    held = await org.execution(CUTOFF - timedelta(days=1), checkpoint=True)
    unreachable = SecretStore.from_settings(
        settings.model_copy(update={"vault_addr": "http://127.0.0.1:9", "vault_timeout_seconds": 1.0})
    )
    report = await purge(engine, unreachable, now=NOW, org_id=org.id)
    assert report.failed_orgs == [str(org.id)] and report.executions == 0
    assert await org.remaining() == {held}
    assert checkpoint_exists(org.checkpoint_path(held))
