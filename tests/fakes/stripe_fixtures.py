"""Fixtures over the loopback Stripe: one server per test process, emptied before every test; settings with
billing on pointing at it; the official SDK client the code under test uses, through the egress guard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import stripe
from pydantic import SecretStr

from agentflow.billing.stripe_client import GuardedHTTPXClient, stripe_client
from agentflow.config import Settings
from tests.fakes.cases import LOOPBACK_EGRESS
from tests.fakes.loopback import LoopbackServer
from tests.fakes.stripe_api import (
    API_KEY,
    METER_EVENT_NAME,
    PRICE_EXECUTIONS,
    PRICE_PRO,
    PRICE_STARTER,
    WEBHOOK_SECRET,
    FakeStripe,
)


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[tuple[FakeStripe, str]]:
    fake = FakeStripe()
    server = LoopbackServer(fake.app).start()
    yield fake, server.url
    server.stop()


@pytest.fixture
def stripe_fake(stripe_server: tuple[FakeStripe, str]) -> FakeStripe:
    fake, _ = stripe_server
    fake.reset()
    return fake


@pytest.fixture
def billing_settings(settings: Settings, stripe_server: tuple[FakeStripe, str]) -> Settings:
    return settings.model_copy(
        update={
            "stripe_api_key": SecretStr(API_KEY),
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "stripe_api_base": stripe_server[1],
            "stripe_price_starter": PRICE_STARTER,
            "stripe_price_pro": PRICE_PRO,
            "stripe_price_executions": PRICE_EXECUTIONS,
            "stripe_meter_event_name": METER_EVENT_NAME,
        }
    )


@pytest.fixture
async def stripe_sdk(
    billing_settings: Settings, stripe_fake: FakeStripe
) -> AsyncIterator[stripe.StripeClient]:
    http = GuardedHTTPXClient(LOOPBACK_EGRESS)
    yield stripe_client(billing_settings, LOOPBACK_EGRESS, http_client=http)
    await http.close_async()
