"""How credentials reach the providers: one `ProviderConfig` per (organization, provider)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

ProviderName = Literal["openai", "anthropic", "google", "ollama"]
PROVIDER_NAMES: tuple[ProviderName, ...] = get_args(ProviderName)

# Where each provider answers when the configuration names no base URL.
DEFAULT_BASE_URLS: dict[ProviderName, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "google": "https://generativelanguage.googleapis.com/v1beta/openai/",
    "ollama": "http://127.0.0.1:11434",
}

HOSTED_PROVIDERS: frozenset[ProviderName] = frozenset({"openai", "anthropic", "google"})


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One organization's settings for one provider; the API key never appears in repr or logs."""

    provider: ProviderName
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    default_model: str | None = None

    @property
    def needs_api_key(self) -> bool:
        """True when no call can succeed without a key: a hosted provider on its public endpoint (a custom
        base URL may be a compatible server or a proxy that needs none)."""
        return not self.api_key and self.base_url is None and self.provider in HOSTED_PROVIDERS

    @property
    def effective_base_url(self) -> str:
        """The configured base URL, else the provider's public endpoint."""
        return (self.base_url or DEFAULT_BASE_URLS[self.provider]).rstrip("/")


def is_provider_name(value: str) -> bool:
    """True for openai, anthropic, google and ollama."""
    return value in PROVIDER_NAMES
