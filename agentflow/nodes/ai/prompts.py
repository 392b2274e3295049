"""Rendering an AI node's config with `agentflow.templating`, masking secrets in what gets stored, and
the built-in instructions of summarize, classify and extract."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agentflow.nodes.ai.model import AiConfig
from agentflow.providers.base import Message
from agentflow.templating import render, render_string

MASK = "••••••"
# Values shorter than this are not masked: masking "1" or "yes" would shred the prompt and hide nothing.
_MIN_SECRET_LENGTH = 4
# Fields rendered as templates; `output_schema` and `tools` are shapes, never rendered (NOT_TEMPLATED).
_TEMPLATED_FIELDS = ("model", "prompt", "system", "labels", "fallback_models")

SUMMARIZE_INSTRUCTIONS = (
    "Summarize the text you are given. Keep the facts, names, numbers and decisions that matter; "
    "leave out repetition. Answer with the summary only, in the language of the text."
)
CLASSIFY_INSTRUCTIONS = (
    "Classify the input into exactly one of these labels: {labels}. Choose the label that fits best and say "
    "how confident you are, from 0 to 1."
)
EXTRACT_INSTRUCTIONS = (
    "Extract the requested fields from the input. Use only what the input states; leave out optional "
    "fields the input does not mention rather than inventing values."
)


@dataclass(frozen=True, slots=True)
class RenderedConfig:
    """The config with every reference resolved, and the prompts as they may be stored (secrets masked)."""

    config: AiConfig
    stored: dict[str, str | None]  # {"prompt", "system"} with secret values masked


def as_text(value: Any) -> str:
    """A rendered value used as message text: strings as is, null as empty, the rest as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value masked, longest first (so a secret inside another goes too)."""
    for secret in sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def render_config(config: AiConfig, context: Mapping[str, Any]) -> RenderedConfig:
    """Resolve `{{…}}` in the templated fields; a bad reference raises `agentflow.templating.TemplateError`.

    Secrets are the values of `context["env"]`; they reach the provider but are masked in `stored`.
    """
    data = config.model_dump()
    for name in _TEMPLATED_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            data[name] = render_string(value, context)
        elif isinstance(value, list):
            data[name] = [as_text(item) for item in render(value, context)]
    data["prompt"] = as_text(data["prompt"])
    if data.get("system") is not None:
        data["system"] = as_text(data["system"])
    if data.get("model") is not None:
        data["model"] = as_text(data["model"]) or None
    rendered = AiConfig.model_validate(data)
    secrets = [str(value) for value in (context.get("env") or {}).values()]
    stored = {
        "prompt": mask_secrets(rendered.prompt, secrets),
        "system": mask_secrets(rendered.system, secrets) if rendered.system is not None else None,
    }
    return RenderedConfig(config=rendered, stored=stored)


def _with_system(instructions: str | None, system: str | None) -> list[Message]:
    parts = [part for part in (instructions, system) if part]
    return [Message("system", "\n\n".join(parts))] if parts else []


def chat_messages(config: AiConfig) -> list[Message]:
    """The node's own system message (if any) and its prompt."""
    return [*_with_system(None, config.system), Message("user", config.prompt)]


def summarize_messages(config: AiConfig) -> list[Message]:
    """The summarize instructions, then the node's system message; the prompt is the text to summarize."""
    return [*_with_system(SUMMARIZE_INSTRUCTIONS, config.system), Message("user", config.prompt)]


def classify_messages(config: AiConfig) -> list[Message]:
    """The labels to choose from, then the node's system message and the input."""
    labels = ", ".join(json.dumps(label, ensure_ascii=False) for label in config.labels or [])
    instructions = CLASSIFY_INSTRUCTIONS.format(labels=labels)
    return [*_with_system(instructions, config.system), Message("user", config.prompt)]


def extract_messages(config: AiConfig) -> list[Message]:
    """The extract instructions, then the node's system message and the input."""
    return [*_with_system(EXTRACT_INSTRUCTIONS, config.system), Message("user", config.prompt)]
