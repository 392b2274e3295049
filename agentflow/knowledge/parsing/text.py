"""Plain text and Markdown; Markdown splits into sections at its headings, with the heading path kept."""

from __future__ import annotations

import re

from agentflow.knowledge.parsing.decoding import decode_text
from agentflow.knowledge.parsing.model import (
    DocumentUnreadable,
    ParsedDocument,
    Section,
    clean,
    heading_section,
)

_HEADING_LINE = re.compile(r"^(#+)\s(.*)")
# Heading texts may contain "/", the node parser's default separator for the path of parent headings.
_PATH_SEPARATOR = "\x1f"


def parse_text(data: bytes) -> ParsedDocument:
    """The whole text as one section (chunking splits it)."""
    text = clean(_decode(data))
    if not text:
        raise DocumentUnreadable("The file has no text")
    return ParsedDocument(sections=[Section(text=text)])


def parse_markdown(data: bytes) -> ParsedDocument:
    """A section per heading's body, the heading as Section.heading and the path of headings in metadata."""
    return markdown_document(_decode(data))


def markdown_document(markdown: str, *, title: str | None = None) -> ParsedDocument:
    """Markdown text split at its headings (fenced code is not searched for headings)."""
    from llama_index.core.node_parser import MarkdownNodeParser
    from llama_index.core.schema import Document, MetadataMode

    parser = MarkdownNodeParser(include_prev_next_rel=False, header_path_separator=_PATH_SEPARATOR)
    sections: list[Section] = []
    first_heading: str | None = None
    for node in parser.get_nodes_from_documents([Document(text=clean(markdown))]):
        content = node.get_content(metadata_mode=MetadataMode.NONE)
        parents = [part for part in str(node.metadata.get("header_path", "")).split(_PATH_SEPARATOR) if part]
        first, _, rest = content.partition("\n")
        match = _HEADING_LINE.match(first)
        if match is None:
            path, body = parents, content
        else:
            heading = match.group(2).strip().strip("#").strip()
            path, body = [*parents, heading], rest
            first_heading = first_heading or heading
        body = clean(body)
        # A heading followed directly by a subheading has no body of its own; it lives on in the
        # subheading's path.
        if body:
            sections.append(heading_section(body, path))
    if not sections:
        raise DocumentUnreadable("The file has no text")
    return ParsedDocument(sections=sections, title=title or first_heading)


def _decode(data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise DocumentUnreadable("The file is not text")
    return text
