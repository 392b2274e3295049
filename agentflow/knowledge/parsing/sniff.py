"""The kind of a file from its content; the name only tells the text kinds apart (CSV, Markdown, text)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

import filetype

from agentflow.knowledge.parsing.decoding import decode_text
from agentflow.knowledge.parsing.model import UnsupportedType
from agentflow.knowledge.parsing.tabular import detect_dialect

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mdx"})
CSV_SUFFIXES = frozenset({".csv", ".tsv"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]")
_TAG = re.compile(r"<(/?)([a-z][a-z0-9]*)\b[^<>]*>")
# Tag names that mark a fragment as HTML rather than some other markup (XML, SVG, templates).
_HTML_TAG_NAMES = (
    "a abbr article aside b blockquote br code dd div dl dt em figure footer form h1 h2 h3 h4 h5 h6 header hr"
    " i img li link main meta nav ol p pre section span strong table tbody td th thead title tr u ul"
)
_HTML_TAGS = frozenset(_HTML_TAG_NAMES.split())


def sniff(data: bytes, filename: str) -> str:
    """One of KINDS for `data`, or UnsupportedType naming what the content really is."""
    if data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\f").startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if _is_docx(data):
            return "docx"
        raise UnsupportedType(_describe(data, "a ZIP archive"))
    if data.startswith(_OLE_MAGIC) and _ENCRYPTED_OOXML in data:
        raise UnsupportedType("a password-protected Office document (remove the password and upload again)")
    text = decode_text(data)
    if text is None:
        raise UnsupportedType(_describe(data, "binary data of an unknown type"))
    suffix = PurePath(filename).suffix.lower()
    if _looks_like_html(text, suffix):
        return "html"
    if suffix in CSV_SUFFIXES and detect_dialect(text) is not None:
        return "csv"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    return "text"


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        # A damaged archive still names its parts in the local headers: call it a DOCX when it names the
        # document part, so the upload fails as an unreadable DOCX rather than as an unknown type.
        return b"word/document.xml" in data


def _describe(data: bytes, fallback: str) -> str:
    guess = filetype.guess(data)
    if guess is None:
        return fallback
    return f"a {guess.extension.upper()} file ({guess.mime})"


def _looks_like_html(text: str, suffix: str) -> bool:
    head = text[:4096].lstrip().lower()
    if _HTML_START.search(head[:2048]):
        return True
    tags = _TAG.findall(head)
    if suffix in HTML_SUFFIXES:
        return bool(tags)
    # A fragment without <html>/<body>: HTML when it opens with a tag and most of it is HTML markup.
    if not head.startswith("<") or not tags:
        return False
    known = sum(1 for _, name in tags if name in _HTML_TAGS)
    markup = sum(len(match.group(0)) for match in _TAG.finditer(head))
    return known * 2 >= len(tags) and markup * 3 >= len(head)
