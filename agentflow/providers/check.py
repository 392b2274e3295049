"""One tiny real call to check a provider's settings, for `POST /api/v1/org/providers/{name}/test`."""

from __future__ import annotations

from dataclasses import dataclass

from agentflow.egress import EgressPolicy
from agentflow.providers.base import Message, ProviderError
from agentflow.providers.config import ProviderConfig, ProviderName
from agentflow.providers.registry import create_provider

# The cheapest chat model of each hosted provider, used when the settings name no default model.
CHECK_MODELS: dict[ProviderName, str] = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-latest",
    "google": "gemini-2.0-flash",
}


@dataclass(frozen=True, slots=True)
class ProviderCheck:
    """The outcome: `ok`, or the provider's own error message."""

    ok: bool
    provider: ProviderName
    model: str | None
    message: str
    latency_ms: float | None = None


async def check_provider(
    config: ProviderConfig, *, egress: EgressPolicy, model: str | None = None, timeout: float = 15
) -> ProviderCheck:
    """Ask for one token from `model` (else the default model, else a cheap one) with these settings."""
    model = model or config.default_model or CHECK_MODELS.get(config.provider)
    if model is None:
        return ProviderCheck(False, config.provider, None, "set a default model to test this provider with")
    if config.needs_api_key:  # the call could only fail, and how it fails depends on the network
        message = f"no API key is set for {config.provider}: add one to its provider settings"
        return ProviderCheck(False, config.provider, model, message)
    provider = create_provider(config, egress=egress, timeout=timeout)
    try:
        response = await provider.chat([Message("user", "Reply with OK.")], model=model, max_tokens=1)
    except ProviderError as exc:
        return ProviderCheck(False, config.provider, model, str(exc))
    finally:
        await provider.aclose()
    return ProviderCheck(True, config.provider, response.model, "ok", response.latency_ms)
