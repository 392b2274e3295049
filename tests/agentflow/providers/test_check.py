"""The provider test call: success, or the provider's error message as the user should see it."""

from __future__ import annotations

from agentflow.egress import EgressPolicy
from agentflow.embedded.ports import free_port
from agentflow.providers import ProviderConfig
from agentflow.providers.check import check_provider
from tests.fakes.cases import LOOPBACK_EGRESS, Case


async def test_working_settings_pass_with_one_tiny_call(case: Case) -> None:
    config = case.config
    if case.name == "ollama":
        config = ProviderConfig("ollama", base_url=config.base_url, default_model="llama3.1")
    result = await check_provider(config, egress=LOOPBACK_EGRESS)

    assert result.ok, result.message
    assert result.latency_ms is not None
    request = case.chat_requests()[-1].body
    limit = request.get("max_tokens") or request.get("options", {}).get("num_predict")
    assert limit == 1


async def test_a_wrong_key_reports_the_provider_message(case: Case) -> None:
    case.api.enqueue(case.error(401, "Incorrect API key provided: sk-wr***ng"))
    result = await check_provider(
        ProviderConfig(
            case.name, api_key="sk-wrong", base_url=case.config.base_url, default_model="some-model"
        ),
        egress=LOOPBACK_EGRESS,
    )
    assert not result.ok
    assert result.message == f"{case.name} 401 (auth): Incorrect API key provided: sk-wr***ng"


async def test_an_unreachable_server_is_reported() -> None:
    result = await check_provider(
        ProviderConfig("ollama", base_url=f"http://127.0.0.1:{free_port()}", default_model="llama3.1"),
        egress=LOOPBACK_EGRESS,
    )
    assert not result.ok
    assert "could not connect" in result.message


async def test_ollama_needs_a_model_to_test_with() -> None:
    result = await check_provider(ProviderConfig("ollama"), egress=LOOPBACK_EGRESS)
    assert (result.ok, result.message) == (False, "set a default model to test this provider with")


async def test_the_default_ollama_address_needs_the_operators_allowlist() -> None:
    """Ollama's default is the host's loopback: a tenant must not reach it unless the operator allows it."""
    config = ProviderConfig("ollama", default_model="llama3.1")  # http://127.0.0.1:11434
    refused = await check_provider(config, egress=EgressPolicy.build(""))
    assert not refused.ok
    assert "private or local address" in refused.message and "AGENTFLOW_EGRESS_ALLOWLIST" in refused.message
    assert "(refused)" in refused.message
    allowed = await check_provider(config, egress=EgressPolicy.build("127.0.0.1:11434"))
    assert "could not connect" in allowed.message  # allowed through the guard; nothing listens there


async def test_a_base_url_at_the_stacks_own_services_is_refused(case: Case) -> None:
    """Even an allowlisted address is refused when it is one of the platform's own services."""
    guard = EgressPolicy.build("127.0.0.0/8", protected_urls=[case.url])
    case.api.reset()
    result = await check_provider(
        ProviderConfig(case.name, api_key="k", base_url=case.config.base_url, default_model="m"), egress=guard
    )
    assert not result.ok and "platform's own services" in result.message
    assert case.chat_requests() == []


async def test_private_base_urls_are_refused_for_every_provider(case: Case) -> None:
    case.api.reset()
    config = ProviderConfig(case.name, api_key="k", base_url=case.config.base_url, default_model="m")
    result = await check_provider(config, egress=EgressPolicy.build(""))
    assert not result.ok and "private or local address" in result.message, result.message
    assert case.chat_requests() == []
