"""The sign-in throttle around every password check (login, accepting an invitation with a password).

Two counters, both in `login_throttles` so every API replica shares them:
- per email + client IP: `login_max_failures` failures lock that pair out for `login_lockout_seconds`;
- per email from any IP: after `login_backoff_after` failures in the window, each further attempt must wait
  a delay since the last failure (doubling, at most `login_backoff_max_seconds`). Rotating addresses no
  longer buys unlimited guesses, and since it is a back-off rather than a lock-out, an attacker who knows
  an email can make its owner wait at most that long.
Both are checked before the password is, and attempts for one email are serialised, so parallel guesses
cannot slip past a count that is about to be written.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.auth.repository import LoginThrottleRepository
from agentflow.config import Settings
from agentflow.errors import RateLimited
from agentflow.kit.crypto import digest


class SignInThrottled(RateLimited):
    code = "rate_limited"
    persist_changes = True  # the failure that reached the limit must still be counted


def throttle_key(email: str, client_ip: str) -> str:
    """The key of one email from one client address."""
    return digest(f"{email.lower()}|{client_ip}")


def backoff_key(email: str) -> str:
    """The key of one email from any address (`*` is never a client address)."""
    return digest(f"{email.lower()}|*")


def backoff_delay(settings: Settings, failures: int) -> float:
    """Seconds the next attempt must wait after `failures` failures in the window (0 below the limit)."""
    beyond = failures - settings.login_backoff_after
    if beyond < 0:
        return 0.0
    delay = settings.login_backoff_base_seconds * 2.0 ** min(beyond, 32)
    return min(settings.login_backoff_max_seconds, delay)


class SignInThrottle:
    """One sign-in attempt's view of the throttle: `admit` first, then `failed` or `succeeded`."""

    def __init__(self, session: AsyncSession, settings: Settings, *, email: str, client_ip: str) -> None:
        self.throttles = LoginThrottleRepository(session)
        self.settings = settings
        self.pair = throttle_key(email, client_ip)
        self.account = backoff_key(email)

    async def admit(self) -> None:
        """Refuse with 429 while this email+IP is locked out or this email is backing off."""
        await self.throttles.serialize(self.account)
        held = await self.throttles.held_until([self.pair, self.account])
        if self.pair in held:
            raise _throttled("Too many failed sign-in attempts; try again later", held[self.pair])
        if self.account in held:
            message = "Too many failed sign-in attempts for this account; wait before trying again"
            raise _throttled(message, held[self.account])

    async def failed(self) -> SignInThrottled | None:
        """Count a wrong password on both counters; the lock-out error when this one reached the limit."""
        now = datetime.now(UTC)
        lockout = timedelta(seconds=self.settings.login_lockout_seconds)
        error = None
        if await self.throttles.count_failure(self.pair, window=lockout) >= self.settings.login_max_failures:
            await self.throttles.hold(self.pair, until=now + lockout)
            error = _throttled("Too many failed sign-in attempts; try again later", now + lockout)
        window = timedelta(seconds=self.settings.login_backoff_window_seconds)
        delay = backoff_delay(self.settings, await self.throttles.count_failure(self.account, window=window))
        if delay > 0:
            await self.throttles.hold(self.account, until=now + timedelta(seconds=delay))
        return error

    async def succeeded(self) -> None:
        """The password was right: both counters start over."""
        await self.throttles.clear(self.pair, self.account)


def _throttled(message: str, until: datetime) -> SignInThrottled:
    retry_after = max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))
    return SignInThrottled(message, retry_after=retry_after)
