"""Sections to chunks with llama-index-core's SentenceSplitter: "recursive" size/overlap or "structure".

"recursive" splits each section on its own (paragraphs, then sentences, then words) into pieces of at most
`size` tokens overlapping by `overlap`. "structure" keeps whole paragraphs together up to `size` and only
splits a paragraph larger than that; pieces never straddle a heading, since Markdown and HTML documents
arrive already split at their headings (MarkdownNodeParser, in parsing) and DOCX at its heading styles.
Either way a chunk never crosses a section, so its page and heading are exact, and CSV sections are kept
whole when they fit (split by rows, the header line repeated, when they do not).

Tokens are counted with tiktoken's cl100k_base (llama-index's default tokenizer), loaded from the cache
llama-index-core ships, and sentences are split by NLTK's untrained Punkt tokenizer: nothing is ever
downloaded, whatever TIKTOKEN_CACHE_DIR or NLTK_DATA say.
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import llama_index.core
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer_internal
from nltk.tokenize.punkt import PunktSentenceTokenizer

from agentflow.knowledge.parsing import ParsedDocument, Section
from agentflow.knowledge.parsing.tabular import render_rows

STRATEGIES = ("recursive", "structure")
MIN_SIZE = 64
MAX_SIZE = 4096
ENCODING = "cl100k_base"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_ENV_LOCK = threading.Lock()


@dataclass(frozen=True)
class Chunk:
    """A piece of a document ready to embed; `position` counts chunks from 0 across the whole document."""

    content: str
    position: int
    page: int | None
    heading: str | None
    metadata: dict[str, Any]
    tokens: int


def chunk_document(
    doc: ParsedDocument, *, size: int = 512, overlap: int = 64, strategy: str = "recursive"
) -> list[Chunk]:
    """The document's chunks in reading order, each at most `size` tokens."""
    check_settings(size=size, overlap=overlap, strategy=strategy)
    chunks: list[Chunk] = []
    for section in doc.sections:
        if "row_start" in section.metadata:
            pieces = _table_pieces(section, size, overlap)
        elif strategy == "structure":
            pieces = [(text, section.metadata) for text in _paragraph_pieces(section.text, size, overlap)]
        else:
            pieces = [(text, section.metadata) for text in _splitter(size, overlap).split_text(section.text)]
        for text, metadata in pieces:
            content = text.strip()
            if content:
                chunks.append(
                    Chunk(
                        content=content,
                        position=len(chunks),
                        page=section.page,
                        heading=section.heading,
                        metadata=_chunk_metadata(section, metadata),
                        tokens=count_tokens(content),
                    )
                )
    return chunks


def check_settings(*, size: int, overlap: int, strategy: str) -> None:
    """ValueError with a readable reason when the chunking settings cannot be used."""
    if strategy not in STRATEGIES:
        raise ValueError(f"chunk strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"chunk size must be between {MIN_SIZE} and {MAX_SIZE} tokens, not {size}")
    if not 0 <= overlap < size:
        raise ValueError(
            f"chunk overlap must be at least 0 and less than the chunk size ({size}), not {overlap}"
        )


def count_tokens(text: str) -> int:
    """Tokens of `text` as chunk sizes count them (cl100k_base)."""
    return len(_tokenizer()(text))


@lru_cache(maxsize=1)
def _tokenizer() -> Callable[[str], list[int]]:
    import tiktoken

    cache = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"
    if not cache.is_dir():
        raise RuntimeError(f"llama-index-core's bundled tiktoken cache is missing ({cache})")
    # tiktoken reads its cache directory from the environment only; point it at the bundled copy for this
    # one load (as llama-index itself does), so an operator's own TIKTOKEN_CACHE_DIR cannot cause a download.
    with _ENV_LOCK:
        previous = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
        try:
            encoding = tiktoken.get_encoding(ENCODING)
        finally:
            if previous is None:
                del os.environ["TIKTOKEN_CACHE_DIR"]
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous
    # encode_ordinary: a document that contains "<|endoftext|>" is text, not a special token.
    return encoding.encode_ordinary


@lru_cache(maxsize=32)
def _splitter(size: int, overlap: int) -> SentenceSplitter:
    # llama-index's default sentence splitter is this same untrained Punkt tokenizer, but reached through a
    # helper that first makes sure NLTK's stopwords and punkt_tab data are present, downloading them if not.
    sentences = PunktSentenceTokenizer()
    return SentenceSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        tokenizer=_tokenizer(),
        chunking_tokenizer_fn=lambda text: split_by_sentence_tokenizer_internal(text, sentences),
    )


def _paragraph_pieces(text: str, size: int, overlap: int) -> list[str]:
    """Consecutive whole paragraphs up to `size` tokens; a paragraph larger than that is split alone."""
    pieces: list[str] = []
    current: list[str] = []
    for paragraph in (part.strip() for part in _PARAGRAPH_BREAK.split(text)):
        if not paragraph:
            continue
        if count_tokens(paragraph) > size:
            if current:
                pieces.append("\n\n".join(current))
                current = []
            pieces.extend(_splitter(size, overlap).split_text(paragraph))
        elif current and count_tokens("\n\n".join([*current, paragraph])) > size:
            pieces.append("\n\n".join(current))
            current = [paragraph]
        else:
            current.append(paragraph)
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def _table_pieces(section: Section, size: int, overlap: int) -> list[tuple[str, dict[str, Any]]]:
    """A CSV section whole when it fits, else runs of its rows that fit, each led by the header line."""
    if count_tokens(section.text) <= size:
        return [(section.text, section.metadata)]
    delimiter = str(section.metadata.get("delimiter", ","))
    header, *rows = list(csv.reader(io.StringIO(section.text), delimiter=delimiter))
    header_line = render_rows([header], delimiter)
    header_tokens = count_tokens(header_line) + 1
    first_row = int(section.metadata["row_start"])
    pieces: list[tuple[str, dict[str, Any]]] = []

    def add(lines: list[str], start: int, end: int) -> None:
        rows_range = {"row_start": first_row + start, "row_end": first_row + end - 1}
        pieces.append(("\n".join([header_line, *lines]), {**section.metadata, **rows_range}))

    current: list[str] = []
    current_start = 0
    used = header_tokens
    for index, row in enumerate(rows):
        line = render_rows([row], delimiter)
        tokens = count_tokens(line) + 1
        if header_tokens + tokens > size:
            # One row alone is larger than a chunk: split it, repeating the header while that leaves room.
            if current:
                add(current, current_start, index)
                current, used = [], header_tokens
            room = size - header_tokens
            if room >= MIN_SIZE:
                for part in _splitter(room, min(overlap, room // 4)).split_text(line):
                    add([part], index, index + 1)
            else:
                for part in _splitter(size, overlap).split_text(line):
                    rows_range = {"row_start": first_row + index, "row_end": first_row + index}
                    pieces.append((part, {**section.metadata, **rows_range}))
            current_start = index + 1
            continue
        if current and used + tokens > size:
            add(current, current_start, index)
            current, used, current_start = [], header_tokens, index
        current.append(line)
        used += tokens
    if current:
        add(current, current_start, len(rows))
    return pieces


def _chunk_metadata(section: Section, metadata: dict[str, Any]) -> dict[str, Any]:
    result = dict(metadata)
    if section.heading is not None and "heading_path" not in result:
        result["heading_path"] = [section.heading]
    return result
