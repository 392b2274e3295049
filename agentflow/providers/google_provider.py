"""Google Gemini through its OpenAI-compatible endpoint (`…/v1beta/openai/`), on the `openai` SDK.

Why not the `google-genai` SDK: the compatible endpoint is documented by Google and covers what the AI node
uses (chat, streaming with usage, tool calls, JSON-schema output, embeddings), so Gemini shares the one
well-tested OpenAI code path and instructor's most mature mode, without a second SDK and its dependencies.
The differences are handled here or in the shared code: the key goes as `Authorization: Bearer <key>`;
errors come wrapped in a list (`[{"error": {"code", "message", "status"}}]`), which `message_from_body` reads;
a tool result must name its tool (`name`, which OpenAI does not take); and a tool call carries a thought
signature (`extra_content.google.thought_signature`) that has to go back with the call in the next request
(Gemini 3 refuses the turn otherwise), with Google's placeholder for calls another provider made before a
fallback.
"""

from __future__ import annotations

from typing import ClassVar

from agentflow.providers.config import ProviderName
from agentflow.providers.openai_provider import OpenAIProvider


class GoogleProvider(OpenAIProvider):
    """Gemini models (`gemini-2.0-flash`, `gemini-2.5-pro`, `gemini-embedding-001`, …)."""

    name: ClassVar[ProviderName] = "google"
    speaks_gemini: ClassVar[bool] = True
