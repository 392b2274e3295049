"""HTML: main text and title with trafilatura (navigation and boilerplate dropped), as Markdown sections."""

from __future__ import annotations

import re
from typing import Any

import trafilatura

from agentflow.knowledge.parsing.decoding import decode_text
from agentflow.knowledge.parsing.model import DocumentUnreadable, ParsedDocument, Section, clean
from agentflow.knowledge.parsing.text import markdown_document

_NOT_CONTENT = "//script|//style|//noscript|//template|//nav"
_BLOCKS = ("p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def parse_html(data: bytes) -> ParsedDocument:
    """The page's main content split at its headings; a plain-text fallback when no main content is found."""
    html = decode_text(data)
    if html is None:
        raise DocumentUnreadable("The HTML file is not text")
    metadata = trafilatura.extract_metadata(html)
    title = clean(metadata.title) if metadata is not None and metadata.title else None
    # Markdown output keeps the page's headings, which then become section headings.
    main = trafilatura.extract(html, output_format="markdown", include_formatting=True, include_tables=True)
    if main and main.strip():
        return markdown_document(main, title=title)
    text, fallback_title = _plain_text(html)
    if not text:
        raise DocumentUnreadable("The page has no readable text")
    return ParsedDocument(sections=[Section(text=text)], title=title or fallback_title)


def _plain_text(html: str) -> tuple[str, str | None]:
    """The visible text of the page but its navigation: for pages where trafilatura finds no main content."""
    import lxml.html
    from lxml.etree import ParserError

    try:
        tree: Any = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return "", None
    title_nodes = tree.xpath("//title")
    title = (clean(title_nodes[0].text_content()) or None) if title_nodes else None
    for node in tree.xpath(_NOT_CONTENT + "|//title"):
        node.drop_tree()
    # text_content() runs adjacent blocks together ("<p>a</p><p>b</p>" -> "ab"): end each block with a line.
    for node in tree.iter(*_BLOCKS):
        node.tail = "\n" + (node.tail or "")
    lines = (line.strip() for line in tree.text_content().splitlines())
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines))
    return clean(text), title
