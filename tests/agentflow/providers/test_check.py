"""The provider test call: success, or the provider's error message as the user should see it."""

from __future__ import annotations

from agentflow.embedded.ports import free_port
from agentflow.providers import ProviderConfig
from agentflow.providers.check import check_provider
from tests.fakes.cases import Case


async def test_working_settings_pass_with_one_tiny_call(case: Case) -> None:
    config = case.config
    if case.name == "ollama":
        config = ProviderConfig("ollama", base_url=config.base_url, default_model="llama3.1")
    result = await check_provider(config)

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
        )
    )
    assert not result.ok
    assert result.message == f"{case.name} 401 (auth): Incorrect API key provided: sk-wr***ng"


async def test_an_unreachable_server_is_reported() -> None:
    result = await check_provider(
        ProviderConfig("ollama", base_url=f"http://127.0.0.1:{free_port()}", default_model="llama3.1")
    )
    assert not result.ok
    assert "could not connect" in result.message


async def test_ollama_needs_a_model_to_test_with() -> None:
    result = await check_provider(ProviderConfig("ollama"))
    assert (result.ok, result.message) == (False, "set a default model to test this provider with")
