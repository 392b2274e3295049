"""Fixtures over the fake providers: servers started once per test process, reset before every test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from agentflow.providers import InMemoryCredentials, ProviderName, Router
from tests.fakes.anthropic_wire import anthropic_api
from tests.fakes.cases import API_KEYS, LOOPBACK_EGRESS, MODELS, Case
from tests.fakes.loopback import FakeAPI, LoopbackServer
from tests.fakes.ollama_wire import ollama_api
from tests.fakes.openai_wire import openai_api

ORG = uuid.UUID("00000000-0000-4000-8000-00000000a001")
PROVIDERS: tuple[ProviderName, ...] = ("openai", "anthropic", "google", "ollama")


@pytest.fixture(scope="session")
def fake_apis() -> Iterator[dict[ProviderName, tuple[FakeAPI, str]]]:
    apis: dict[ProviderName, FakeAPI] = {
        "openai": openai_api("/v1"),
        "google": openai_api("/v1beta/openai"),
        "anthropic": anthropic_api(),
        "ollama": ollama_api(),
    }
    servers = {name: LoopbackServer(api.app).start() for name, api in apis.items()}
    yield {name: (apis[name], servers[name].url) for name in apis}
    for server in servers.values():
        server.stop()


@pytest.fixture
def cases(fake_apis: dict[ProviderName, tuple[FakeAPI, str]]) -> dict[ProviderName, Case]:
    """Every provider's case, its fake emptied of queued replies and recorded requests."""
    result = {}
    for name, (api, url) in fake_apis.items():
        api.reset()
        model, answered = MODELS[name]
        result[name] = Case(name, api, url, model, answered, API_KEYS[name])
    return result


@pytest.fixture(params=PROVIDERS)
def case(request: pytest.FixtureRequest, cases: dict[ProviderName, Case]) -> Case:
    """Each provider in turn."""
    return cases[request.param]


@pytest.fixture
def credentials(cases: dict[ProviderName, Case]) -> InMemoryCredentials:
    """ORG has every provider configured against its fake."""
    return InMemoryCredentials({ORG: [c.config for c in cases.values()]})


@pytest.fixture
async def router(credentials: InMemoryCredentials) -> AsyncIterator[Router]:
    router = Router(credentials, egress=LOOPBACK_EGRESS, timeout_seconds=5)
    yield router
    await router.aclose()
