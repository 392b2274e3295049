"""PDF with pypdf: one section per page, page numbers kept; encrypted, damaged and scanned files refused."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from agentflow.knowledge.parsing.model import DocumentUnreadable, ParsedDocument, Section, clean

ENCRYPTED = "The PDF is encrypted with a password; upload a copy without the password"
DAMAGED = "The PDF is damaged and could not be read"
SCANNED = "The PDF has no text layer (it looks like a scan); scanned documents need OCR first"

# pypdf logs every repair it makes to a malformed file as a warning; the outcome is what matters here.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def parse_pdf(data: bytes) -> ParsedDocument:
    """Each page with text as one Section carrying its 1-based page number."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise DocumentUnreadable(ENCRYPTED)
        pages = [clean(page.extract_text() or "") for page in reader.pages]
        title = _title(reader)
    except DocumentUnreadable:
        raise
    except FileNotDecryptedError as error:
        raise DocumentUnreadable(ENCRYPTED) from error
    # pypdf raises whatever the malformed structure trips (its own errors, but also KeyError, ValueError,
    # zlib.error, RecursionError ...): any failure to read the file means the file is damaged.
    except Exception as error:
        raise DocumentUnreadable(f"{DAMAGED} ({_detail(error)})") from error
    if not pages:
        raise DocumentUnreadable("The PDF has no pages")
    sections = [Section(text=text, page=number) for number, text in enumerate(pages, start=1) if text]
    if not sections:
        raise DocumentUnreadable(SCANNED)
    return ParsedDocument(sections=sections, pages=len(pages), title=title)


def _opens_without_password(reader: PdfReader) -> bool:
    # Many PDFs are encrypted with an owner password only (to forbid editing or printing): any viewer opens
    # them with the empty user password, and so do we. AES needs the `cryptography` package.
    try:
        return bool(reader.decrypt(""))
    except DependencyError:
        return False


def _title(reader: PdfReader) -> str | None:
    metadata = reader.metadata
    title = metadata.title if metadata else None
    if not isinstance(title, str):
        return None
    return clean(title) or None


def _detail(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
