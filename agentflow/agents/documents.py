"""Agent documents as files: YAML or JSON text, their media types and a file name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from agentflow.agents.schemas import AgentDocument
from agentflow.graph import dump_json, dump_yaml, load_json, load_yaml

DocumentFormat = Literal["yaml", "json"]

MEDIA_TYPES: dict[DocumentFormat, str] = {"yaml": "application/yaml", "json": "application/json"}
YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
JSON_MEDIA_TYPES = frozenset({"application/json", "text/json"})


@dataclass(frozen=True)
class RenderedDocument:
    text: str
    media_type: str
    filename: str


def render(document: AgentDocument, format: DocumentFormat) -> RenderedDocument:
    """The document as YAML or JSON text (keys in document order, unicode kept) with a file name."""
    data = document.model_dump(mode="json")
    text = dump_yaml(data) if format == "yaml" else dump_json(data)
    return RenderedDocument(
        text=text, media_type=MEDIA_TYPES[format], filename=f"{slug(document.name)}.{format}"
    )


def parse_text(text: str, format: DocumentFormat) -> dict[str, Any]:
    """The mapping in YAML or JSON text; DefinitionError with line and column when the text is malformed."""
    return load_json(text) if format == "json" else load_yaml(text)


def slug(name: str) -> str:
    """`Ticket triage (v2)` → `ticket-triage-v2`; `agent` when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "agent"
