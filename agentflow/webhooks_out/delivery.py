"""Sending queued deliveries: claim due rows, sign, POST through the egress guard, record, retry.

A claim (FOR UPDATE SKIP LOCKED) bumps the attempt and pushes `next_retry_at` a lease ahead before anything
is sent, so two senders never send the same row at once and a sender that died mid-way leaves it to be
tried again after the lease. 2xx is success; anything else (an error status, a redirect, a timeout, a
refused or unreachable address) is retried on the Standard Webhooks schedule
(`settings.webhook_retry_schedule`) and fails for good after its last attempt. An endpoint whose every
attempt has failed for `webhook_disable_after_days` is disabled and its org's owners and admins notified.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agentflow.config import Settings
from agentflow.egress import EgressRefused
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.notifications.producers import notify_webhook_disabled
from agentflow.secrets.store import SecretStore
from agentflow.secrets.vault import VaultUnavailable
from agentflow.webhooks_out import signing
from agentflow.webhooks_out.events import parse_schedule

logger = logging.getLogger("agentflow.webhooks")

BATCH = 100
CONCURRENCY = 50
ERROR_MAX = 500
VAULT_RETRY_SECONDS = 30.0
# A receiver's answer is not kept; reading a little of it lets the connection be reused.
RESPONSE_READ_BYTES = 1024

_CLAIM = compile_query(
    text(
        """
        WITH due AS (
            SELECT id FROM webhook_outbound_deliveries
            WHERE status = 'pending' AND next_retry_at <= clock_timestamp()
              AND (CAST(:ids AS uuid[]) IS NULL OR id = ANY(CAST(:ids AS uuid[])))
            ORDER BY next_retry_at LIMIT :batch
            FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE webhook_outbound_deliveries d
            SET attempt = d.attempt + 1, next_retry_at = clock_timestamp() + make_interval(secs => :lease),
                updated_at = now()
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.message_id, d.org_id, d.endpoint_id, d.payload, d.attempt
        )
        SELECT c.id, c.message_id, c.org_id, c.endpoint_id, c.payload, c.attempt, w.url, w.enabled
        FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id
        """
    )
)
_SUCCEEDED = compile_query(
    text(
        """
        WITH done AS (
            UPDATE webhook_outbound_deliveries
            SET status = 'succeeded', response_status = :response_status, latency_ms = :latency_ms,
                error = NULL, next_retry_at = NULL, delivered_at = now(), updated_at = now()
            WHERE id = :id
            RETURNING endpoint_id
        )
        UPDATE webhook_endpoints w SET failing_since = NULL, updated_at = now()
        FROM done WHERE w.id = done.endpoint_id AND w.failing_since IS NOT NULL
        """
    )
)
# A failed attempt: pending again after `delay` seconds, or failed for good; the endpoint's failure clock
# starts (if it was not running) and says whether it has run past the disable bound.
_FAILED = compile_query(
    text(
        """
        WITH done AS (
            UPDATE webhook_outbound_deliveries
            SET status = CASE WHEN CAST(:final AS boolean) THEN 'failed' ELSE 'pending' END,
                response_status = :response_status, latency_ms = :latency_ms, error = :error,
                next_retry_at = CASE WHEN CAST(:final AS boolean) THEN NULL
                                     ELSE clock_timestamp() + make_interval(secs => :delay) END,
                updated_at = now()
            WHERE id = :id
            RETURNING endpoint_id
        ), endpoint AS (
            UPDATE webhook_endpoints w
            SET failing_since = COALESCE(w.failing_since, now()), updated_at = now()
            FROM done WHERE w.id = done.endpoint_id
            RETURNING w.enabled, w.failing_since
        )
        SELECT enabled AND failing_since < now() - make_interval(secs => :disable_after) AS overdue
        FROM endpoint
        """
    )
)
# Not the endpoint's fault (it was disabled meanwhile, its secret is missing): failed, the clock untouched.
_ABANDONED = compile_query(
    text(
        """
        UPDATE webhook_outbound_deliveries
        SET status = 'failed', error = :error, next_retry_at = NULL, updated_at = now()
        WHERE id = :id
        """
    )
)
# Vault unreachable: give the attempt back and try again shortly.
_RELEASED = compile_query(
    text(
        """
        UPDATE webhook_outbound_deliveries
        SET attempt = attempt - 1, next_retry_at = clock_timestamp() + make_interval(secs => :delay),
            updated_at = now()
        WHERE id = :id
        """
    )
)
_DISABLE = compile_query(
    text(
        """
        UPDATE webhook_endpoints SET enabled = false, disabled_reason = :reason, updated_at = now()
        WHERE id = :id AND enabled
        RETURNING org_id, url
        """
    )
)
_NEXT_DUE = compile_query(
    text(
        """
        SELECT EXTRACT(EPOCH FROM (min(next_retry_at) - clock_timestamp())) AS wait
        FROM webhook_outbound_deliveries WHERE status = 'pending'
        """
    )
)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    response_status: int | None
    latency_ms: int
    error: str | None


def _cut(message: str) -> str:
    return message if len(message) <= ERROR_MAX else message[: ERROR_MAX - 1] + "…"


class Deliverer:
    """Sends due deliveries through `http` (a `guarded_client`), reading signing secrets from `store`."""

    def __init__(
        self,
        db: FastReader,
        store: SecretStore,
        http: httpx.AsyncClient,
        settings: Settings,
        *,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.http = http
        self.sessions = sessions  # for the owners' notice when an endpoint is disabled
        self.schedule = parse_schedule(settings.webhook_retry_schedule)
        self.timeout = settings.webhook_timeout_seconds
        self.lease = settings.webhook_timeout_seconds + 50
        self.disable_after = settings.webhook_disable_after_days * 86400
        self.disable_days = settings.webhook_disable_after_days
        self._limit = asyncio.Semaphore(CONCURRENCY)

    async def drain(self, ids: list[uuid.UUID] | None = None) -> int:
        """Send every delivery due now (or just `ids`, if still due); how many were attempted."""
        total = 0
        while True:
            rows = await self.db.fetch(_CLAIM, ids=ids, batch=BATCH, lease=self.lease)
            await asyncio.gather(*(self._attempt(row) for row in rows))
            total += len(rows)
            if len(rows) < BATCH:
                return total

    async def seconds_to_next_due(self) -> float | None:
        row = await self.db.fetchrow(_NEXT_DUE)
        if row is None or row["wait"] is None:
            return None
        return max(0.0, float(row["wait"]))

    async def _attempt(self, row: Any) -> None:
        async with self._limit:
            try:
                await self._attempt_unguarded(row)
            except Exception:  # one delivery's bug must not stop the others; its lease brings it back
                logger.exception("webhook delivery %s could not be attempted", row["id"])

    async def _attempt_unguarded(self, row: Any) -> None:
        if not row["enabled"]:
            await self.db.execute(_ABANDONED, id=row["id"], error="The endpoint is disabled")
            return
        try:
            secret = await signing.read_secret(self.store, row["org_id"], row["endpoint_id"])
        except VaultUnavailable:
            logger.warning("webhook delivery %s waits: the secret store is unavailable", row["id"])
            await self.db.execute(_RELEASED, id=row["id"], delay=VAULT_RETRY_SECONDS)
            return
        if secret is None:
            await self.db.execute(_ABANDONED, id=row["id"], error="The endpoint has no signing secret")
            return
        body = orjson.dumps(row["payload"]).decode()
        msg_id = signing.message_id(row["message_id"] or row["id"])
        outcome = await self.post(row["url"], body, signing.signed_headers(secret, msg_id, body))
        if outcome.ok:
            await self.db.execute(
                _SUCCEEDED,
                id=row["id"],
                response_status=outcome.response_status,
                latency_ms=outcome.latency_ms,
            )
            return
        attempt = int(row["attempt"])
        final = attempt > len(self.schedule)
        overdue = await self.db.fetchrow(
            _FAILED,
            id=row["id"],
            final=final,
            delay=0.0 if final else self.schedule[attempt - 1],
            response_status=outcome.response_status,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            disable_after=self.disable_after,
        )
        if overdue is not None and overdue["overdue"]:
            await self._disable(row["endpoint_id"])

    async def post(self, url: str, body: str, headers: dict[str, str]) -> Outcome:
        """One POST; never raises. Redirects are not followed (a 3xx is a failed attempt)."""
        started = time.perf_counter()
        status: int | None = None
        try:
            async with self.http.stream(
                "POST", url, content=body.encode(), headers=headers, timeout=self.timeout
            ) as response:
                status = response.status_code
                async for chunk in response.aiter_bytes():
                    if len(chunk) >= RESPONSE_READ_BYTES:
                        break
            error = None if 200 <= status < 300 else f"The endpoint answered HTTP {status}"
        except EgressRefused as exc:
            error = exc.message
        except httpx.TimeoutException:
            error = f"The endpoint did not answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        latency = int((time.perf_counter() - started) * 1000)
        return Outcome(
            ok=error is None, response_status=status, latency_ms=latency, error=_cut(error) if error else None
        )

    async def _disable(self, endpoint_id: uuid.UUID) -> None:
        reason = f"Every delivery failed for more than {self.disable_days:g} days"
        row = await self.db.fetchrow(_DISABLE, id=endpoint_id, reason=reason)
        if row is None:
            return  # someone else disabled it first (and told the owners)
        logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
        if self.sessions is None:
            return
        async with self.sessions() as session, session.begin():
            await notify_webhook_disabled(
                session,
                org_id=row["org_id"],
                endpoint_id=endpoint_id,
                host=urlsplit(row["url"]).hostname or "",
                days=self.disable_days,
            )
