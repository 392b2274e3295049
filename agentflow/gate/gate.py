"""Admitting an authenticated request: from an allowed address (the org's IP allowlist), within its rate
limits. Runs on every authenticated request, so the org's policy comes from the auth cache (emptied by the
NOTIFY of migration 0017 when the org's settings or plan change) and each limit costs one counter hit.

Limits, in fixed one-minute windows shared by every API process:
- an API key's requests count against its org's plan figure (`api_requests_per_minute`; with billing off,
  the operator's `AGENTFLOW_RATE_LIMIT_PER_MINUTE`), and against the key's own `rate_limit_per_minute`;
- the web app's requests (access tokens) count against the operator's figure per org, a ceiling that keeps
  one org from starving the others.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItemPerMinute
from limits.aio.strategies import FixedWindowRateLimiter
from sqlalchemy import bindparam, select

from agentflow.auth.cache import AuthCache
from agentflow.auth.subject import AuthSubject
from agentflow.billing.plans import effective_plan
from agentflow.config import Settings
from agentflow.errors import Forbidden, RateLimited
from agentflow.gate.network import Network, client_address, contains, parse_networks
from agentflow.gate.storage import CounterStorage, PostgresStorage, redis_storage
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.models import Organization

_ORG_POLICY = compile_query(
    select(Organization.settings, Organization.plan).where(Organization.id == bindparam("org_id"))
)


class IPNotAllowed(Forbidden):
    code = "ip_not_allowed"


@dataclass(frozen=True)
class OrgPolicy:
    networks: tuple[Network, ...]  # empty: every address
    api_per_minute: int | None  # None or 0: no limit
    web_per_minute: int | None


@dataclass(frozen=True)
class Quota:
    name: str
    limit: int
    remaining: int
    reset_seconds: int


def rate_limit_headers(quotas: list[Quota]) -> dict[str, str]:
    """IETF RateLimit-Policy / RateLimit (draft-ietf-httpapi-ratelimit-headers): one item per limit."""
    return {
        "RateLimit-Policy": ", ".join(f'"{q.name}";q={q.limit};w=60' for q in quotas),
        "RateLimit": ", ".join(f'"{q.name}";r={q.remaining};t={q.reset_seconds}' for q in quotas),
    }


def request_gate(settings: Settings, reader: Callable[[], FastReader]) -> RequestGate:
    """Counters in Redis when AGENTFLOW_REDIS_URL is set, else in Postgres (through `reader`)."""
    storage = redis_storage(settings.redis_url) if settings.redis_url else PostgresStorage(reader)
    return RequestGate(settings, storage)


class RequestGate:
    def __init__(self, settings: Settings, storage: CounterStorage) -> None:
        self.settings = settings
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(storage)
        self.trusted = parse_networks(p for p in settings.trusted_proxies.split(",") if p.strip())

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        return client_address(peer, forwarded_for, self.trusted)

    async def policy(
        self, reader: FastReader, org_id: uuid.UUID, cache: AuthCache | None = None
    ) -> OrgPolicy:
        hit = cache.get("org_policy", org_id) if cache is not None else None
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        generation = cache.generation if cache is not None else 0
        row = await reader.fetchrow(_ORG_POLICY, org_id=org_id)
        operator = self.settings.rate_limit_per_minute or None
        if row is None:
            return OrgPolicy((), operator, operator)
        plan = effective_plan(row["plan"], billing_enabled=self.settings.billing_enabled)
        org_settings: Any = row["settings"] or {}  # the reader decodes JSON (kit/fastread.py)
        allowlist = org_settings.get("ip_allowlist")
        policy = OrgPolicy(
            networks=parse_networks(allowlist) if isinstance(allowlist, list) else (),
            api_per_minute=plan.api_requests_per_minute or operator,
            web_per_minute=operator,
        )
        if cache is not None:
            cache.put("org_policy", org_id, policy, generation=generation)
        return policy

    async def admit(
        self, reader: FastReader, subject: AuthSubject, client: str, cache: AuthCache | None = None
    ) -> dict[str, str]:
        """The RateLimit headers for the response; IPNotAllowed (403) or RateLimited (429) when refused."""
        policy = await self.policy(reader, subject.org_id, cache)
        if policy.networks and not contains(policy.networks, client):
            raise IPNotAllowed(
                f"Requests from {client} are not allowed for this organization (its IP allowlist)",
                code="ip_not_allowed",
            )
        limits: list[tuple[str, str, int]] = []
        if subject.method == "api_key":
            if policy.api_per_minute:
                limits.append(("org", f"api:{subject.org_id}", policy.api_per_minute))
            if subject.rate_limit_per_minute:
                limits.append(("key", f"key:{subject.api_key_id}", subject.rate_limit_per_minute))
        elif policy.web_per_minute:
            limits.append(("org", f"web:{subject.org_id}", policy.web_per_minute))
        quotas, refused = await self._count(limits)
        headers = rate_limit_headers(quotas) if quotas else {}
        if refused:
            retry_after = max(1, max(q.reset_seconds for q in quotas if q.remaining == 0))
            error = RateLimited(f"Too many requests: try again in {retry_after} s", retry_after=retry_after)
            error.headers.update(headers)
            raise error
        return headers

    async def _count(self, limits: list[tuple[str, str, int]]) -> tuple[list[Quota], bool]:
        """Every quota hit at once (one statement in Postgres, concurrent in Redis); refused when any is
        past its limit (the rule of `limits`' FixedWindowRateLimiter.hit, for several items at a time)."""
        if not limits:
            return [], False
        items = [(name, RateLimitItemPerMinute(per_minute), key) for name, key, per_minute in limits]
        hits = [(item.key_for(key), item.get_expiry()) for _, item, key in items]
        counts = await self.storage.incr_many(hits)
        quotas, refused = [], False
        for (name, item, key), count in zip(items, counts, strict=True):
            stats = await self.limiter.get_window_stats(item, key)  # from the store's memory of that hit
            reset = max(0, math.ceil(stats.reset_time - time.time()))
            quotas.append(Quota(name, item.amount, stats.remaining, reset))
            refused = refused or count > item.amount
        return quotas, refused
