"""Queries on users, refresh tokens and the login throttle."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.kit.repository import Repository
from agentflow.models import LoginThrottle, RefreshToken, User


class UserRepository(Repository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        return await self.one_or_none(select(User).where(User.email == email.lower()))


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        return await self.one_or_none(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        )

    async def revoke_family(self, family_id: uuid.UUID) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )

    async def revoke_user_in_org(self, user_id: uuid.UUID, org_id: uuid.UUID) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.user_id == user_id,
                RefreshToken.org_id == org_id,
                RefreshToken.revoked_at.is_(None),
            )
            .values(revoked_at=datetime.now(UTC))
        )


class LoginThrottleRepository:
    """Failures per throttle key in a window; upserts so concurrent failures all count."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def serialize(self, key: str) -> None:
        """Take a transaction-scoped advisory lock on `key`: attempts on the same key run one at a time,
        so a burst of parallel guesses cannot all pass the check before the first failure is counted."""
        await self.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))

    async def held_until(self, keys: Sequence[str]) -> dict[str, datetime]:
        """The keys among `keys` that are held (locked out or backing off), and until when."""
        rows = await self.session.execute(
            select(LoginThrottle.key, LoginThrottle.locked_until).where(
                LoginThrottle.key.in_(keys), LoginThrottle.locked_until > datetime.now(UTC)
            )
        )
        return {key: until for key, until in rows if until is not None}

    async def count_failure(self, key: str, *, window: timedelta) -> int:
        """Count one failure and return the failures in the current window (a new window once it passed)."""
        now = datetime.now(UTC)
        stmt = insert(LoginThrottle).values(key=key, failures=1, window_started_at=now)
        window_expired = LoginThrottle.window_started_at < now - window
        upsert = stmt.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case((window_expired, 1), else_=LoginThrottle.failures + 1),
                "window_started_at": case((window_expired, now), else_=LoginThrottle.window_started_at),
            },
        ).returning(LoginThrottle.failures)
        return int((await self.session.execute(upsert)).scalar_one())

    async def hold(self, key: str, *, until: datetime) -> None:
        await self.session.execute(
            update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=until)
        )

    async def clear(self, *keys: str) -> None:
        await self.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
