"""Fixtures over the loopback WorkOS: one server per test process, emptied before every test; settings with
SSO on pointing at it; the app's SDK client on them, through the egress guard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import workos
from fastapi import FastAPI
from pydantic import SecretStr

from agentflow.config import Settings
from agentflow.sso.client import workos_client
from agentflow.sso.service import callback_url
from tests.fakes.cases import LOOPBACK_EGRESS
from tests.fakes.loopback import LoopbackServer
from tests.fakes.workos_api import API_KEY, CLIENT_ID, WEBHOOK_SECRET, FakeWorkOS


@pytest.fixture(scope="session")
def workos_server() -> Iterator[tuple[FakeWorkOS, str]]:
    fake = FakeWorkOS()
    server = LoopbackServer(fake.app).start()
    yield fake, server.url
    server.stop()


@pytest.fixture
def workos_fake(workos_server: tuple[FakeWorkOS, str], sso_settings: Settings) -> FakeWorkOS:
    fake, _ = workos_server
    fake.reset()
    fake.redirect_uris.add(callback_url(sso_settings))
    return fake


@pytest.fixture
def sso_settings(settings: Settings, workos_server: tuple[FakeWorkOS, str]) -> Settings:
    return settings.model_copy(
        update={
            "workos_api_key": SecretStr(API_KEY),
            "workos_client_id": CLIENT_ID,
            "workos_base_url": workos_server[1],
            "workos_webhook_secret": SecretStr(WEBHOOK_SECRET),
        }
    )


@pytest.fixture
async def sso_app(app: FastAPI, sso_settings: Settings, workos_fake: FakeWorkOS) -> AsyncIterator[FastAPI]:
    """The test app with SSO on (everything else as the plain test app)."""
    client = workos_client(sso_settings, LOOPBACK_EGRESS)
    assert isinstance(client, workos.AsyncWorkOSClient)
    app.state.settings = sso_settings
    app.state.workos = client
    yield app
    await client._backend.close()
