"""Outbound webhook delivery against a loopback receiver, on committed rows (the delivery flow reads them on
its own connections): signatures verified by the `standardwebhooks` package, retries until the receiver
recovers, final failure, the automatic disable with a notice, the engine's outbox rows, nothing lost across
an API restart, and the listening run woken by a commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agentflow.agents.schemas import EXAMPLE_DEFINITION
from agentflow.config import Settings
from agentflow.db import create_sessionmaker
from agentflow.egress import EgressPolicy, guarded_client
from agentflow.engine.worker.store import EngineStore
from agentflow.kit.fastread import PoolReader
from agentflow.models import Notification, Organization, OutboundWebhookDelivery, WebhookEndpoint
from agentflow.notifications.kinds import Notice, NotificationKind, Recipients
from agentflow.secrets.store import SecretStore
from agentflow.webhooks_out import signing
from agentflow.webhooks_out.delivery import Deliverer
from agentflow.webhooks_out.runner import run_deliveries
from api.app import create_app
from tests.factories import Member, create_agent, create_org_with_owner
from tests.support.outside import Outside, outside_server
from tests.support.usage import add_execution


@pytest.fixture
def receiver() -> Iterator[Outside]:
    with outside_server() as server:
        yield server


@dataclass
class Live:
    client: httpx.AsyncClient
    owner: Member
    settings: Settings

    async def endpoint(self, url: str, events: list[str]) -> dict[str, Any]:
        created = await self.client.post(
            "/org/webhooks", json={"url": url, "events": events}, headers=self.owner.headers
        )
        assert created.status_code == 201, created.text
        return dict(created.json())

    async def log(self, endpoint_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/org/webhooks/{endpoint_id}/deliveries", headers=self.owner.headers
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


@asynccontextmanager
async def live_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with its lifespan on committed data: every request commits, like production."""
    app = create_app(settings, configure_logs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
            yield client


@pytest.fixture
async def org(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Member]:
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        owner = await create_org_with_owner(session, settings, name="Hooks")
    yield owner
    async with sessions() as session, session.begin():  # its endpoints and deliveries go with it
        await session.execute(delete(Organization).where(Organization.id == owner.org_id))


@asynccontextmanager
async def deliverer(settings: Settings, engine: AsyncEngine, **overrides: Any) -> AsyncIterator[Deliverer]:
    tuned = settings.model_copy(update=overrides)
    reader = await PoolReader.connect(settings.database_url, max_size=4)
    store = SecretStore.from_settings(tuned)
    try:
        async with guarded_client(EgressPolicy.from_settings(tuned)) as http:
            yield Deliverer(reader, store, http, tuned, sessions=create_sessionmaker(engine))
    finally:
        store.close()
        await reader.close()


def verify(secret: str, recorded: Any) -> dict[str, Any]:
    """What a receiver does with the standardwebhooks package: check the signature, get the payload."""
    return dict(Webhook(secret).verify(recorded.body, recorded.headers))


def fail_first(times: int, status: int = 500) -> Any:
    calls = {"n": 0}

    async def handler(request: Request, body: Any) -> Response:
        calls["n"] += 1
        if calls["n"] <= times:
            return JSONResponse({"error": "down"}, status_code=status)
        return JSONResponse({"ok": True})

    return handler


async def test_a_test_event_is_signed_logged_and_rotation_changes_the_signature(
    org: Member, receiver: Outside, settings: Settings, engine: AsyncEngine
) -> None:
    async with live_api(settings) as client:
        live = Live(client, org, settings)
        endpoint = await live.endpoint(f"{receiver.url}/hook", ["execution.completed"])
        queued = await live.client.post(f"/org/webhooks/{endpoint['id']}/test", headers=live.owner.headers)
        assert queued.status_code == 202, queued.text
        async with deliverer(settings, engine) as sender:
            assert await sender.drain() >= 1
        (first,) = receiver.requests
        payload = verify(endpoint["secret"], first)
        assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == endpoint["id"]
        assert first.headers["webhook-id"] == queued.json()["message_id"]
        assert first.headers["webhook-signature"].startswith("v1,")
        assert first.headers["content-type"] == "application/json"

        (logged,) = await live.log(endpoint["id"])
        assert (logged["status"], logged["response_status"], logged["attempt"]) == ("succeeded", 200, 1)
        assert logged["latency_ms"] is not None and logged["next_retry_at"] is None
        assert logged["delivered_at"] is not None and logged["error"] is None

        rotated = await live.client.post(
            f"/org/webhooks/{endpoint['id']}/rotate-secret", headers=live.owner.headers
        )
        again = await live.client.post(
            f"/org/webhooks/{endpoint['id']}/deliveries/{logged['id']}/redeliver", headers=live.owner.headers
        )
        assert again.status_code == 202, again.text
        async with deliverer(settings, engine) as sender:
            await sender.drain()
        second = receiver.requests[1]
        assert second.headers["webhook-id"] == first.headers["webhook-id"]  # a redelivery: same message
        assert verify(rotated.json()["secret"], second) == payload
        with pytest.raises(WebhookVerificationError):
            verify(endpoint["secret"], second)  # the old secret no longer signs
        with pytest.raises(WebhookVerificationError):  # tampering with the body breaks the signature
            Webhook(rotated.json()["secret"]).verify(second.body.replace(b"test", b"tost"), second.headers)


async def test_a_failing_endpoint_is_retried_until_it_recovers(
    org: Member, receiver: Outside, settings: Settings, engine: AsyncEngine
) -> None:
    async with live_api(settings) as client:
        live = Live(client, org, settings)
        receiver.routes["/flaky"] = fail_first(2)
        endpoint = await live.endpoint(f"{receiver.url}/flaky", ["webhook.test"])
        await live.client.post(f"/org/webhooks/{endpoint['id']}/test", headers=live.owner.headers)
        # Retries due at once here (the default schedule waits 5 s, 5 min, 30 min, …).
        async with deliverer(settings, engine, webhook_retry_schedule="0,0,0") as sender:
            await sender.drain()
            (logged,) = await live.log(endpoint["id"])
            assert (logged["status"], logged["response_status"], logged["attempt"]) == ("pending", 500, 1)
            assert logged["error"] == "The endpoint answered HTTP 500" and logged["next_retry_at"] is not None
            failing = (
                await live.client.get(f"/org/webhooks/{endpoint['id']}", headers=live.owner.headers)
            ).json()
            assert failing["failing_since"] is not None
            await sender.drain()
            await sender.drain()
        (logged,) = await live.log(endpoint["id"])
        assert (logged["status"], logged["response_status"], logged["attempt"]) == ("succeeded", 200, 3)
        assert len(receiver.requests) == 3
        ids = {r.headers["webhook-id"] for r in receiver.requests}
        assert len(ids) == 1  # every attempt is the same message
        for recorded in receiver.requests:
            verify(endpoint["secret"], recorded)
        recovered = (
            await live.client.get(f"/org/webhooks/{endpoint['id']}", headers=live.owner.headers)
        ).json()
        assert recovered["failing_since"] is None and recovered["enabled"] is True


async def test_the_last_attempt_fails_for_good_and_timeouts_and_refusals_are_attempts(
    org: Member, receiver: Outside, settings: Settings, engine: AsyncEngine
) -> None:
    async with live_api(settings) as client:
        live = Live(client, org, settings)

        async def slow(request: Request, body: Any) -> Response:
            await asyncio.sleep(3)
            return JSONResponse({})

        receiver.routes["/down"] = fail_first(100, status=503)
        receiver.routes["/slow"] = slow
        down = await live.endpoint(f"{receiver.url}/down", ["webhook.test"])
        slow_one = await live.endpoint(f"{receiver.url}/slow", ["webhook.test"])
        redirect = await live.endpoint(f"{receiver.url}/moved", ["webhook.test"])
        receiver.routes["/moved"] = lambda request, body: _redirect()
        for endpoint in (down, slow_one, redirect):
            await live.client.post(f"/org/webhooks/{endpoint['id']}/test", headers=live.owner.headers)
        async with deliverer(
            settings, engine, webhook_retry_schedule="0", webhook_timeout_seconds=0.5
        ) as sender:
            await sender.drain()
            await sender.drain()
            await sender.drain()  # nothing left: a failed delivery is not attempted again
        for endpoint, error in (
            (down, "The endpoint answered HTTP 503"),
            (slow_one, "The endpoint did not answer within 0.5 s"),
            (redirect, "The endpoint answered HTTP 307"),  # redirects are not followed
        ):
            (logged,) = await live.log(endpoint["id"])
            assert (logged["status"], logged["attempt"], logged["error"]) == ("failed", 2, error)
            assert logged["next_retry_at"] is None
        assert receiver.counters["/down"] == 2


async def _redirect() -> Response:
    return Response(status_code=307, headers={"location": "http://169.254.169.254/"})


async def test_an_endpoint_failing_for_days_is_disabled_and_owners_are_told(
    org: Member, receiver: Outside, settings: Settings, engine: AsyncEngine
) -> None:
    async with live_api(settings) as client:
        live = Live(client, org, settings)
        receiver.routes["/gone"] = fail_first(100, status=410)
        endpoint = await live.endpoint(f"{receiver.url}/gone", ["webhook.test"])
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == uuid.UUID(endpoint["id"]))
                .values(failing_since=datetime.now(UTC) - timedelta(days=6))
            )
        await live.client.post(f"/org/webhooks/{endpoint['id']}/test", headers=live.owner.headers)
        await live.client.post(f"/org/webhooks/{endpoint['id']}/test", headers=live.owner.headers)
        async with deliverer(settings, engine) as sender:
            await sender.drain()
        after = (await live.client.get(f"/org/webhooks/{endpoint['id']}", headers=live.owner.headers)).json()
        assert after["enabled"] is False and "5 days" in after["disabled_reason"]
        async with sessions() as session:
            told = (
                (
                    await session.execute(
                        select(Notification).where(
                            Notification.org_id == live.owner.org_id, Notification.kind == "webhook.disabled"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert [n.user_id for n in told] == [live.owner.user_id]  # once, though two deliveries failed
        assert "/gone" not in told[0].body and "127.0.0.1" in told[0].title
        # Enabling it again clears the failure record.
        enabled = await live.client.put(
            f"/org/webhooks/{endpoint['id']}", json={"enabled": True}, headers=live.owner.headers
        )
        assert enabled.json()["failing_since"] is None and enabled.json()["disabled_reason"] is None


async def test_the_engine_queues_execution_events_with_the_state_change(
    org: Member, receiver: Outside, settings: Settings, engine: AsyncEngine
) -> None:
    """store.finish / store.mark_paused insert the outbox rows in their own statement."""
    async with live_api(settings) as client:
        live = Live(client, org, settings)
        hooked = await live.endpoint(f"{receiver.url}/runs", ["execution.completed", "execution.paused"])
        await live.endpoint(f"{receiver.url}/other", ["agent.published"])
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            agent_id = await create_agent(session, org, definition=EXAMPLE_DEFINITION)
            running = [
                await add_execution(
                    session,
                    org_id=org.org_id,
                    agent_id=agent_id,
                    created_at=datetime.now(UTC),
                    status="running",
                )
                for _ in range(5)
            ]
        reader = await PoolReader.connect(settings.database_url, max_size=2)
        dsn = make_url(settings.database_url).set(drivername="postgresql")
        listener = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        woken = asyncio.Event()
        await listener.add_listener("agentflow_webhooks", lambda *_: woken.set())
        try:
            store = EngineStore(reader)
            assert await store.finish(running[0], "completed", output={"secret": "not in payloads"})
            await asyncio.wait_for(woken.wait(), 10)  # the statement's NOTIFY reaches the delivery flow
            assert not await store.finish(running[0], "failed")  # already ended: no second event
            assert await store.finish(running[1], "failed", error="boom")  # not subscribed
            assert await store.finish(running[3], "cancelled")  # no event for a cancellation
            assert await store.finish(running[4], "timed_out")  # execution.failed: not subscribed
            notice = Notice(
                kind=NotificationKind.approval_requested,
                title="t",
                body="",
                link=None,
                dedupe_key=f"k-{uuid.uuid4()}",
                email=False,
            )
            await store.mark_paused(running[2], {"step_key": "ask"}, notice=notice, recipients=Recipients())
        finally:
            await listener.close()
            await reader.close()
        rows = await live.log(hooked["id"])
        assert sorted((r["event"], r["payload"]["data"]["execution_id"]) for r in rows) == sorted(
            [("execution.completed", str(running[0])), ("execution.paused", str(running[2]))]
        )
        completed = next(r for r in rows if r["event"] == "execution.completed")
        assert completed["payload"]["type"] == "execution.completed"
        assert completed["payload"]["data"]["status"] == "completed"
        assert completed["payload"]["data"]["agent_id"] == str(agent_id)
        assert "not in payloads" not in str(completed["payload"])
        datetime.fromisoformat(completed["payload"]["timestamp"])
        async with deliverer(settings, engine) as sender:
            await sender.drain()
        assert receiver.counters.get("/runs") == 2 and "/other" not in receiver.counters


async def test_nothing_is_lost_across_an_api_restart(
    org: Member, receiver: Outside, settings: Settings, engine: AsyncEngine
) -> None:
    """Deliveries are rows committed with the change: an API that stops before anything is sent loses
    nothing; the delivery run sends them later, woken by nothing but what is due."""
    async with live_api(settings) as client:
        first = Live(client, org, settings)
        endpoint = await first.endpoint(f"{receiver.url}/later", ["agent.published", "agent.activated"])
        agent = await client.post(
            "/agents", json={"name": "Restarted", "definition": EXAMPLE_DEFINITION}, headers=org.headers
        )
        published = await client.post(
            f"/agents/{agent.json()['id']}/publish", json={"message": "v1"}, headers=org.headers
        )
        assert published.status_code == 201, published.text
    assert receiver.requests == []  # the API never sends; it is gone now
    async with deliverer(settings, engine) as sender:
        report = await run_deliveries(sender, settings.database_url, seconds=0.2)
    assert report.attempted >= 2
    events = sorted(verify(endpoint["secret"], r)["type"] for r in receiver.requests)
    assert events == ["agent.activated", "agent.published"]
    async with live_api(settings) as client:  # a new API process shows the log
        logged = await Live(client, org, settings).log(endpoint["id"])
    assert {r["status"] for r in logged} == {"succeeded"}


async def test_a_listening_run_is_woken_by_a_commit(
    org: Member, receiver: Outside, settings: Settings, engine: AsyncEngine
) -> None:
    async with live_api(settings) as client:
        live = Live(client, org, settings)
        endpoint = await live.endpoint(f"{receiver.url}/prompt", ["webhook.test"])
        async with deliverer(settings, engine) as sender:
            run = asyncio.create_task(run_deliveries(sender, settings.database_url, seconds=30))
            try:
                await asyncio.sleep(0.3)  # listening (and idle) by now
                await live.client.post(f"/org/webhooks/{endpoint['id']}/test", headers=live.owner.headers)
                for _ in range(200):
                    if receiver.requests:
                        break
                    await asyncio.sleep(0.05)
                assert receiver.requests, "the listening run did not send the new delivery"
                # A second run meanwhile does not listen (one listener at a time): it sends what is due, ends.
                second = await run_deliveries(sender, settings.database_url, seconds=30)
                assert second.listened is False
            finally:
                run.cancel()
        verify(endpoint["secret"], receiver.requests[0])


async def test_deliveries_of_a_deleted_endpoint_go_with_it(
    org: Member, receiver: Outside, settings: Settings, engine: AsyncEngine
) -> None:
    async with live_api(settings) as client:
        live = Live(client, org, settings)
        endpoint = await live.endpoint(f"{receiver.url}/deleted", ["webhook.test"])
        await live.client.post(f"/org/webhooks/{endpoint['id']}/test", headers=live.owner.headers)
        await live.client.delete(f"/org/webhooks/{endpoint['id']}", headers=live.owner.headers)
        async with deliverer(settings, engine) as sender:
            await sender.drain()
        assert receiver.requests == []
        async with create_sessionmaker(engine)() as session:
            left = await session.execute(
                select(OutboundWebhookDelivery).where(OutboundWebhookDelivery.endpoint_id == endpoint["id"])
            )
            assert left.scalars().all() == []


async def test_a_url_that_turned_private_is_refused_at_send_time(
    org: Member, settings: Settings, engine: AsyncEngine
) -> None:
    """The URL was checked when it was saved; the guard checks every connection again (a host that later
    resolves inward, DNS rebinding): here the row is written directly with a private address."""
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        endpoint = WebhookEndpoint(org_id=org.org_id, url="http://10.1.2.3/hook", events=["webhook.test"])
        session.add(endpoint)
        await session.flush()
        endpoint_id = endpoint.id
    await signing.store_secret(
        SecretStore.from_settings(settings), org.org_id, endpoint_id, signing.new_secret()
    )
    async with live_api(settings) as client:
        live = Live(client, org, settings)
        await client.post(f"/org/webhooks/{endpoint_id}/test", headers=org.headers)
        async with deliverer(settings, engine, webhook_retry_schedule="0") as sender:
            await sender.drain()
            await sender.drain()
        (logged,) = await live.log(str(endpoint_id))
    assert (logged["status"], logged["attempt"], logged["response_status"]) == ("failed", 2, None)
    assert logged["error"].startswith("Refusing to call 10.1.2.3:80")
