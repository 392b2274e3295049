"""Every query of billing: billing accounts, organizations' plans, processed Stripe events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.models import BillingAccount, Organization, StripeEvent


class BillingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account(self, org_id: uuid.UUID) -> BillingAccount | None:
        return await self.session.scalar(select(BillingAccount).where(BillingAccount.org_id == org_id))

    async def locked_account(self, org_id: uuid.UUID) -> BillingAccount:
        """The org's account, created if missing, locked until the transaction ends: two concurrent first
        billing actions wait for each other instead of creating two Stripe customers."""
        await self.session.flush()  # the re-read below must not drop this session's pending changes
        await self.session.execute(
            insert(BillingAccount)
            .values(id=uuid.uuid4(), org_id=org_id)
            .on_conflict_do_nothing(index_elements=["org_id"])
        )
        account = await self.session.scalar(
            select(BillingAccount)
            .where(BillingAccount.org_id == org_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert account is not None
        return account

    async def account_by_customer(self, customer_id: str, *, lock: bool = True) -> BillingAccount | None:
        await self.session.flush()
        query = select(BillingAccount).where(BillingAccount.stripe_customer_id == customer_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def org_exists(self, org_id: uuid.UUID) -> bool:
        return await self.session.scalar(select(Organization.id).where(Organization.id == org_id)) is not None

    async def org_plan(self, org_id: uuid.UUID) -> str:
        plan = await self.session.scalar(select(Organization.plan).where(Organization.id == org_id))
        return plan or "free"

    async def set_org_plan(self, org_id: uuid.UUID, plan: str) -> None:
        await self.session.execute(update(Organization).where(Organization.id == org_id).values(plan=plan))

    async def record_event(
        self, *, event_id: str, type_: str, org_id: uuid.UUID | None, created: datetime
    ) -> bool:
        """Mark a Stripe event processed; False when it already was (a redelivery). A concurrent delivery of
        the same event waits on the key until the first one's transaction ends."""
        inserted = await self.session.scalar(
            insert(StripeEvent)
            .values(id=event_id, type=type_, org_id=org_id, stripe_created_at=created)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(StripeEvent.id)
        )
        return inserted is not None

    async def accounts_with_customer(
        self, *, after: uuid.UUID | None, limit: int
    ) -> Sequence[BillingAccount]:
        """Accounts that have a Stripe customer, in id order (the reconciliation pages through them)."""
        query = select(BillingAccount).where(BillingAccount.stripe_customer_id.is_not(None))
        if after is not None:
            query = query.where(BillingAccount.id > after)
        return (await self.session.scalars(query.order_by(BillingAccount.id).limit(limit))).all()
