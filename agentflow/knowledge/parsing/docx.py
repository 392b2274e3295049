"""DOCX with python-docx: sections under their headings (the heading path kept), tables' text included."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from agentflow.knowledge.parsing.model import (
    DocumentUnreadable,
    ParsedDocument,
    Section,
    clean,
    heading_section,
)

_HEADING_STYLE = re.compile(r"heading\s*(\d)", re.IGNORECASE)


def parse_docx(data: bytes) -> ParsedDocument:
    """The body in reading order, a new Section at every heading; metadata has the heading path."""
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
        title = clean(document.core_properties.title or "") or None
    # A damaged package fails as a bad zip, a missing part (KeyError) or malformed XML (ValueError/lxml).
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as error:
        raise DocumentUnreadable("The DOCX file is damaged and could not be read") from error
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []

    def flush() -> None:
        text = clean("\n\n".join(body))
        if text:
            sections.append(heading_section(text, [heading for _, heading in path]))
        body.clear()

    for block in blocks:
        if isinstance(block, Table):
            body.append(_table_text(block))
            continue
        text = clean(block.text)
        level = _heading_level(block)
        if level is None:
            if text:
                body.append(text)
            continue
        if not text:
            continue
        flush()
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, text))
        if level == 0 and title is None:
            title = text
    flush()
    if not sections:
        raise DocumentUnreadable("The DOCX file has no text")
    return ParsedDocument(sections=sections, title=title)


def _heading_level(paragraph: Paragraph) -> int | None:
    """0 for the Title style, N for "Heading N", None for body text."""
    try:
        name = paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, ValueError):
        return None
    if name == "Title":
        return 0
    match = _HEADING_STYLE.fullmatch(name or "")
    return int(match.group(1)) if match else None


def _table_text(table: Table) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = clean(cell.text)
            # A merged cell is returned once per grid column it spans: keep it once.
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)
