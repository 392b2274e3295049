"""One `Case` per provider: its fake, its settings and how to script each kind of answer in its wire format,
so the same test can run against all four providers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentflow.egress import EgressPolicy
from agentflow.providers import ProviderConfig, ProviderName
from tests.fakes import anthropic_wire, ollama_wire, openai_wire
from tests.fakes.loopback import FakeAPI, Recorded, Reply

# The fakes listen on loopback: a private destination an operator allowlisted (the stack's own services,
# which these are not, would still be refused).
LOOPBACK_EGRESS = EgressPolicy.build("127.0.0.0/8")


@dataclass
class Case:
    """A provider under test."""

    name: ProviderName
    api: FakeAPI
    url: str
    model: str  # what a node names
    answered_model: str  # what the fake says answered
    api_key: str | None

    @property
    def config(self) -> ProviderConfig:
        base = {
            "openai": f"{self.url}/v1",
            "google": f"{self.url}/v1beta/openai",
            "anthropic": self.url,
            "ollama": self.url,
        }[self.name]
        return ProviderConfig(self.name, api_key=self.api_key, base_url=base)

    @property
    def chat_path(self) -> str:
        return {
            "openai": "/v1/chat/completions",
            "google": "/v1beta/openai/chat/completions",
            "anthropic": "/v1/messages",
            "ollama": "/api/chat",
        }[self.name]

    @property
    def structured_path(self) -> str:
        return "/v1/chat/completions" if self.name == "ollama" else self.chat_path

    def chat_requests(self) -> list[Recorded]:
        return [request for request in self.api.requests if request.path == self.chat_path]

    def structured_requests(self) -> list[Recorded]:
        return [request for request in self.api.requests if request.path == self.structured_path]

    def text(self, content: str, *, input_tokens: int = 100, output_tokens: int = 20) -> Reply:
        """A plain text answer."""
        if self.name == "anthropic":
            return anthropic_wire.message(
                content, model=self.answered_model, input_tokens=input_tokens, output_tokens=output_tokens
            )
        if self.name == "ollama":
            return ollama_wire.chat(
                content, model=self.answered_model, prompt_eval_count=input_tokens, eval_count=output_tokens
            )
        return openai_wire.completion(
            content, model=self.answered_model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )

    def tool_call(
        self, name: str, arguments: dict[str, Any], *, input_tokens: int = 100, output_tokens: int = 20
    ) -> Reply:
        """An answer that calls one tool."""
        if self.name == "anthropic":
            return anthropic_wire.message(
                [anthropic_wire.text_block("Let me check."), anthropic_wire.tool_use(name, arguments)],
                model=self.answered_model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
            )
        if self.name == "ollama":
            return ollama_wire.chat(
                "",
                tool_calls=[ollama_wire.tool_call(name, arguments)],
                model=self.answered_model,
                prompt_eval_count=input_tokens,
                eval_count=output_tokens,
            )
        return openai_wire.completion(
            None,
            tool_calls=[openai_wire.tool_call(name, arguments)],
            model=self.answered_model,
            prompt_tokens=input_tokens,
            completion_tokens=output_tokens,
        )

    def tool_calls(
        self,
        calls: Sequence[tuple[str, str, dict[str, Any]]],
        *,
        text: str = "",
        signature: str | None = None,
        input_tokens: int = 100,
        output_tokens: int = 20,
    ) -> Reply:
        """An answer that calls several tools at once, each `(id, name, arguments)`. Ollama's calls have
        no id; Gemini signs the first call with `signature` (as Gemini 3 does)."""
        if self.name == "anthropic":
            blocks = [anthropic_wire.text_block(text)] if text else []
            blocks += [
                anthropic_wire.tool_use(name, arguments, call_id) for call_id, name, arguments in calls
            ]
            return anthropic_wire.message(
                blocks, model=self.answered_model, input_tokens=input_tokens, output_tokens=output_tokens
            )
        if self.name == "ollama":
            return ollama_wire.chat(
                text,
                tool_calls=[ollama_wire.tool_call(name, arguments) for _, name, arguments in calls],
                model=self.answered_model,
                prompt_eval_count=input_tokens,
                eval_count=output_tokens,
            )
        wire_calls = [
            openai_wire.tool_call(
                name,
                arguments,
                call_id,
                thought_signature=signature if position == 0 and self.name == "google" else None,
            )
            for position, (call_id, name, arguments) in enumerate(calls)
        ]
        return openai_wire.completion(
            text or None,
            tool_calls=wire_calls,
            model=self.answered_model,
            prompt_tokens=input_tokens,
            completion_tokens=output_tokens,
        )

    def structured(
        self, tool: str, answer: dict[str, Any] | str, *, input_tokens: int = 100, output_tokens: int = 20
    ) -> Reply:
        """What instructor reads: a forced tool call (OpenAI, Gemini, Anthropic) or JSON content (Ollama /v1).

        A string `answer` is sent as is (to script broken JSON).
        """
        raw = answer if isinstance(answer, str) else json.dumps(answer)
        if self.name == "anthropic":
            parsed: Any = json.loads(raw) if _is_json(raw) else {"_": raw}
            return anthropic_wire.message(
                [anthropic_wire.tool_use(tool, parsed)],
                model=self.answered_model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
            )
        if self.name == "ollama":
            return openai_wire.completion(
                raw, model=self.answered_model, prompt_tokens=input_tokens, completion_tokens=output_tokens
            )
        return openai_wire.completion(
            None,
            tool_calls=[openai_wire.tool_call(tool, raw)],
            model=self.answered_model,
            prompt_tokens=input_tokens,
            completion_tokens=output_tokens,
        )

    def stream(
        self,
        pieces: list[str],
        *,
        input_tokens: int = 100,
        output_tokens: int = 20,
        fail_after: int | None = None,
    ) -> Reply:
        """A streamed text answer in the provider's framing."""
        if self.name == "anthropic":
            return anthropic_wire.stream(
                pieces,
                model=self.answered_model,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                fail_after=fail_after,
            )
        if self.name == "ollama":
            return ollama_wire.stream(
                pieces,
                model=self.answered_model,
                prompt_eval_count=input_tokens,
                eval_count=output_tokens,
                fail_after=fail_after,
            )
        return openai_wire.stream(
            pieces,
            model=self.answered_model,
            prompt_tokens=input_tokens,
            completion_tokens=output_tokens,
            fail_after=fail_after,
        )

    def error(self, status: int, message: str) -> Reply:
        """The provider's error body for `status`."""
        if self.name == "anthropic":
            return anthropic_wire.error(status, message)
        if self.name == "ollama":
            return ollama_wire.error(status, message)
        if self.name == "google":
            return openai_wire.gemini_error(status, message)
        return openai_wire.error(status, message)

    def structured_error(self, status: int, message: str) -> Reply:
        """An error on the structured-output path (Ollama's is its OpenAI-compatible API)."""
        if self.name == "ollama":
            return openai_wire.error(status, message)
        return self.error(status, message)


def _is_json(raw: str) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except json.JSONDecodeError:
        return False


# Models per provider, and their price per 1M tokens (input, output) from the pricing table.
MODELS: dict[ProviderName, tuple[str, str]] = {
    "openai": ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
    "google": ("gemini-2.0-flash", "gemini-2.0-flash"),
    "anthropic": ("claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"),
    "ollama": ("ollama/llama3.1", "llama3.1"),
}
API_KEYS: dict[ProviderName, str | None] = {
    "openai": "sk-test-openai",
    "google": "AIza-test-google",
    "anthropic": "sk-ant-test",
    "ollama": None,
}
