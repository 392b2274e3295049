"""Bytes to text for the text kinds, refusing content that is binary whatever its name says."""

from __future__ import annotations

import codecs

# Control characters that real text files carry (tab, newlines, form feed, backspace, escape).
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b")
_SAMPLE = 8192


def looks_binary(data: bytes) -> bool:
    """True when the first bytes hold NUL or more than a few control characters: no text file does."""
    sample = data[:_SAMPLE]
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return controls > len(sample) // 100


def decode_text(data: bytes) -> str | None:
    """The text in `data`: UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252/latin-1; None if binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if looks_binary(data):
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8 but text-like: most such files come from Windows, and cp1252 is latin-1 plus the printable
    # characters it puts at 0x80-0x9f; latin-1 decodes the five bytes cp1252 leaves undefined.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")
