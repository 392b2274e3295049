"""Model name → provider: the maintained table, explicit prefixes, per-organization patterns and defaults."""

from __future__ import annotations

import uuid

import pytest

from agentflow.providers import (
    InMemoryCredentials,
    ProviderConfig,
    ProviderError,
    Router,
    RoutingPolicy,
    StaticPolicies,
    route_model,
)
from tests.fakes.cases import LOOPBACK_EGRESS, Case
from tests.fakes.fixtures import ORG as FAKE_ORG

ORG = uuid.uuid4()


@pytest.mark.parametrize(
    ("model", "provider", "sent_as"),
    [
        ("gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "openai", "gpt-4o-2024-08-06"),
        ("o3-mini", "openai", "o3-mini"),
        ("o1", "openai", "o1"),
        ("text-embedding-3-small", "openai", "text-embedding-3-small"),
        ("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("gemini-2.0-flash", "google", "gemini-2.0-flash"),
        ("ollama/llama3.1", "ollama", "llama3.1"),
        (
            "ollama/hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF",
            "ollama",
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF",
        ),
        ("openai/Qwen/Qwen2.5-7B-Instruct", "openai", "Qwen/Qwen2.5-7B-Instruct"),
        ("llama3.1", "ollama", "llama3.1"),  # unknown names go to the default provider
        ("orca-mini", "ollama", "orca-mini"),  # starts with "o" but is not an OpenAI o-series model
        ("meta-llama/Llama-3.1-8B-Instruct", "ollama", "meta-llama/Llama-3.1-8B-Instruct"),
    ],
)
def test_the_table_routes_model_names(model: str, provider: str, sent_as: str) -> None:
    route = route_model(model, RoutingPolicy())
    assert (route.provider, route.model) == (provider, sent_as)


def test_an_organization_can_route_its_own_names_and_change_the_default() -> None:
    policy = RoutingPolicy(
        routes={"meta-llama/*": "openai", "gpt-4o*": "google"}, default_provider="anthropic"
    )
    assert route_model("meta-llama/Llama-3.1-8B-Instruct", policy).provider == "openai"  # its vLLM server
    assert route_model("gpt-4o-mini", policy).provider == "google"  # its patterns come before the table
    assert route_model("some-new-model", policy).provider == "anthropic"
    assert route_model("ollama/llama3.1", policy).provider == "ollama"  # an explicit prefix always wins


async def test_a_node_without_a_model_uses_the_organization_default() -> None:
    credentials = InMemoryCredentials({ORG: [ProviderConfig("ollama", default_model="qwen2.5")]})
    router = Router(credentials, egress=LOOPBACK_EGRESS)
    assert (await router.resolve(ORG, None)).model == "qwen2.5"

    policies = StaticPolicies({ORG: RoutingPolicy(default_model="claude-haiku-4-5")})
    router = Router(credentials, egress=LOOPBACK_EGRESS, policies=policies)
    assert (await router.resolve(ORG, None)).provider == "anthropic"


async def test_no_model_and_no_default_is_a_configuration_error() -> None:
    router = Router(InMemoryCredentials(), egress=LOOPBACK_EGRESS)
    with pytest.raises(ProviderError) as caught:
        await router.resolve(ORG, None)
    assert caught.value.kind == "not_configured"
    assert not caught.value.retryable


async def test_a_provider_the_organization_has_not_configured_is_not_retryable() -> None:
    router = Router(
        InMemoryCredentials({uuid.uuid4(): [ProviderConfig("openai", api_key="sk-other-org")]}),
        egress=LOOPBACK_EGRESS,
    )
    with pytest.raises(ProviderError) as caught:
        await router.provider(ORG, "openai")
    assert caught.value.kind == "not_configured"
    assert "no openai settings" in caught.value.message


async def test_clients_are_reused_per_settings_and_replaced_when_the_key_rotates() -> None:
    credentials = InMemoryCredentials({ORG: [ProviderConfig("openai", api_key="sk-one")]})
    router = Router(credentials, egress=LOOPBACK_EGRESS)
    first = await router.provider(ORG, "openai")
    assert await router.provider(ORG, "openai") is first
    credentials.set(ORG, ProviderConfig("openai", api_key="sk-two"))
    assert await router.provider(ORG, "openai") is not first
    await router.aclose()


def test_the_api_key_never_shows_in_repr() -> None:
    assert "sk-secret" not in repr(ProviderConfig("openai", api_key="sk-secret"))


async def test_embeddings_go_to_the_routed_provider_without_fallback(
    router: Router, cases: dict[str, Case]
) -> None:
    response = await router.embed(FAKE_ORG, ["a", "b", "c"], model="text-embedding-3-small")
    assert (response.provider, len(response.vectors)) == ("openai", 3)
    response = await router.embed(FAKE_ORG, ["a"], model="ollama/nomic-embed-text")
    assert response.provider == "ollama"
    assert cases["ollama"].api.last.body == {"model": "nomic-embed-text", "input": ["a"]}
