"""LLM providers (OpenAI and compatible servers, Anthropic, Gemini, Ollama), routing, fallback, pricing."""

from agentflow.providers.base import (
    EmbeddingResponse,
    LLMProvider,
    LLMResponse,
    Message,
    ProviderAttempt,
    ProviderError,
    ResponseFormat,
    StreamEnd,
    StreamEvent,
    StructuredOutputError,
    StructuredResponse,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from agentflow.providers.config import PROVIDER_NAMES, ProviderConfig, ProviderName
from agentflow.providers.credentials import CredentialSource, InMemoryCredentials
from agentflow.providers.router import (
    MODEL_ROUTES,
    Routed,
    Router,
    RoutingPolicy,
    StaticPolicies,
    route_model,
)

__all__ = [
    "MODEL_ROUTES",
    "PROVIDER_NAMES",
    "CredentialSource",
    "EmbeddingResponse",
    "InMemoryCredentials",
    "LLMProvider",
    "LLMResponse",
    "Message",
    "ProviderAttempt",
    "ProviderConfig",
    "ProviderError",
    "ProviderName",
    "ResponseFormat",
    "Routed",
    "Router",
    "RoutingPolicy",
    "StaticPolicies",
    "StreamEnd",
    "StreamEvent",
    "StructuredOutputError",
    "StructuredResponse",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "route_model",
]
