"""`parse(kind, data)`: the parser for a kind, with the refusals every kind shares."""

from __future__ import annotations

from collections.abc import Callable

from agentflow.knowledge.parsing.docx import parse_docx
from agentflow.knowledge.parsing.html import parse_html
from agentflow.knowledge.parsing.model import KINDS, DocumentUnreadable, ParsedDocument
from agentflow.knowledge.parsing.pdf import parse_pdf
from agentflow.knowledge.parsing.tabular import parse_csv
from agentflow.knowledge.parsing.text import parse_markdown, parse_text

PARSERS: dict[str, Callable[[bytes], ParsedDocument]] = {
    "pdf": parse_pdf,
    "docx": parse_docx,
    "csv": parse_csv,
    "markdown": parse_markdown,
    "text": parse_text,
    "html": parse_html,
}
assert set(PARSERS) == set(KINDS)


def parse(kind: str, data: bytes) -> ParsedDocument:
    """The sections of `data` read as `kind` (one of KINDS); DocumentUnreadable when it cannot be read."""
    if kind not in PARSERS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not data.strip():
        raise DocumentUnreadable("The file is empty")
    return PARSERS[kind](data)
