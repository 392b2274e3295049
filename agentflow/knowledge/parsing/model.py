"""What a parser produces, the two ways parsing refuses a file, and the kinds it knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS: tuple[str, ...] = ("pdf", "docx", "csv", "markdown", "text", "html")
MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
    "markdown": "text/markdown",
    "text": "text/plain",
    "html": "text/html",
}
SUPPORTED = "PDF, DOCX, CSV, Markdown, plain text and HTML"


class UnsupportedType(Exception):
    """The content is of a kind no parser reads; `message` names what was found and lists the kinds."""

    def __init__(self, found: str) -> None:
        self.found = found
        self.message = f"Unsupported file type: {found}. Supported types: {SUPPORTED}."
        super().__init__(self.message)


class DocumentUnreadable(Exception):
    """The content is of a known kind but cannot be read; `reason` is shown to the user as is."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Section:
    """A stretch of a document that chunks never cross: a PDF page, a heading's body, a group of CSV rows."""

    text: str
    page: int | None = None
    heading: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedDocument:
    """A document's sections in reading order, its page count (PDF only) and its title when it has one."""

    sections: list[Section]
    pages: int | None = None
    title: str | None = None


def clean(text: str) -> str:
    """Text fit for storage: Postgres text cannot hold NUL, and Windows/old Mac line ends become \\n."""
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


def heading_section(text: str, path: list[str], **extra: Any) -> Section:
    """A section under the heading path `path` (outermost first); the last entry is its own heading."""
    metadata: dict[str, Any] = {"heading_path": list(path)} if path else {}
    return Section(text=text, heading=path[-1] if path else None, metadata=metadata, **extra)
