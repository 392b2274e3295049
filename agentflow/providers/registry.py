"""Provider name → implementation, and building one from a `ProviderConfig`."""

from __future__ import annotations

from agentflow.egress import EgressPolicy
from agentflow.providers.anthropic_provider import AnthropicProvider
from agentflow.providers.base import DEFAULT_TIMEOUT_SECONDS, LLMProvider
from agentflow.providers.config import ProviderConfig, ProviderName
from agentflow.providers.google_provider import GoogleProvider
from agentflow.providers.ollama_provider import OllamaProvider
from agentflow.providers.openai_provider import OpenAIProvider

PROVIDER_CLASSES: dict[ProviderName, type[LLMProvider]] = {
    "openai": OpenAIProvider,
    "anthropic": AnthropicProvider,
    "google": GoogleProvider,
    "ollama": OllamaProvider,
}


def create_provider(
    config: ProviderConfig, *, egress: EgressPolicy, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> LLMProvider:
    """A provider client for these settings (SDK retries off, `timeout` seconds per call by default), whose
    every connection goes through the egress guard."""
    return PROVIDER_CLASSES[config.provider](config, egress=egress, timeout=timeout)
