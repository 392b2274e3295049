"""Chunking parsed documents: sizes and overlap respected, structure kept, positions contiguous, offline."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentflow.knowledge.chunking import STRATEGIES, Chunk, chunk_document, count_tokens
from agentflow.knowledge.parsing import ParsedDocument, Section, parse
from tests.support import documents

REPO = Path(__file__).resolve().parents[3]


def numbered_prose(sentences: int, start: int = 0) -> str:
    """Sentences that each say their own number, so a chunk's sentences can be told apart."""
    return " ".join(
        f"Sentence {n} explains how the drone battery is stored." for n in range(start, start + sentences)
    )


def sentences_of(chunk: Chunk) -> list[str]:
    return [part.strip() + "." for part in chunk.content.split(".") if part.strip()]


def assert_contiguous(chunks: list[Chunk]) -> None:
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))


@pytest.mark.parametrize(("size", "overlap"), [(64, 16), (128, 32), (512, 64)])
def test_recursive_chunks_respect_size_and_overlap(size: int, overlap: int) -> None:
    doc = ParsedDocument(sections=[Section(text=numbered_prose(300))])
    chunks = chunk_document(doc, size=size, overlap=overlap)
    assert len(chunks) > 2
    assert_contiguous(chunks)
    for chunk in chunks:
        assert chunk.tokens == count_tokens(chunk.content)
        assert chunk.tokens <= size
    for before, after in itertools.pairwise(chunks):
        shared = [sentence for sentence in sentences_of(after) if sentence in sentences_of(before)]
        assert shared, "consecutive chunks should overlap"
        assert count_tokens(" ".join(shared)) <= overlap
    # Nothing is lost: every sentence is in some chunk.
    everything = {sentence for chunk in chunks for sentence in sentences_of(chunk)}
    assert len(everything) == 300


def test_no_overlap_means_no_shared_text() -> None:
    doc = ParsedDocument(sections=[Section(text=numbered_prose(100))])
    chunks = chunk_document(doc, size=64, overlap=0)
    seen: set[str] = set()
    for chunk in chunks:
        mine = set(sentences_of(chunk))
        assert not mine & seen
        seen |= mine


def test_pdf_chunks_keep_their_page_and_count_positions_across_pages() -> None:
    pages = (numbered_prose(40), numbered_prose(40, start=40))
    doc = parse("pdf", documents.pdf_two_pages(pages))
    chunks = chunk_document(doc, size=128, overlap=16)
    assert_contiguous(chunks)
    assert {chunk.page for chunk in chunks} == {1, 2}
    for chunk in chunks:
        numbers = {
            int(s.split()[1])
            for s in sentences_of(chunk)
            if s.startswith("Sentence ") and s.split()[1].isdigit()
        }
        assert all((n < 40) == (chunk.page == 1) for n in numbers), "a chunk never crosses a page"
    assert [chunk.page for chunk in chunks] == sorted(chunk.page or 0 for chunk in chunks)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_chunks_keep_headings_and_heading_paths(strategy: str) -> None:
    chunks = chunk_document(parse("docx", documents.docx_with_headings()), strategy=strategy)
    assert [chunk.heading for chunk in chunks] == [
        "Falcon X2 handbook",
        "Setup",
        "Pairing the controller",
        "Maintenance",
    ]
    assert chunks[2].metadata["heading_path"] == ["Falcon X2 handbook", "Setup", "Pairing the controller"]
    markdown = chunk_document(parse("markdown", documents.markdown_doc()), strategy=strategy)
    assert markdown[2].heading == "Linux"
    assert markdown[2].metadata["heading_path"] == ["Falcon X2 guide", "Installation", "Linux"]
    assert_contiguous(markdown)


def test_a_heading_without_a_path_still_gets_one() -> None:
    doc = ParsedDocument(sections=[Section(text="Body.", heading="Notes", metadata={"source": "wiki"})])
    (chunk,) = chunk_document(doc)
    assert chunk.metadata == {"source": "wiki", "heading_path": ["Notes"]}


def test_structure_keeps_paragraphs_whole_and_splits_only_oversized_ones() -> None:
    paragraphs = [numbered_prose(3, start=10 * n) for n in range(12)]
    oversized = numbered_prose(60, start=500)
    text = "\n\n".join([*paragraphs[:6], oversized, *paragraphs[6:]])
    chunks = chunk_document(
        ParsedDocument(sections=[Section(text=text)]), size=96, overlap=16, strategy="structure"
    )
    assert_contiguous(chunks)
    assert all(chunk.tokens <= 96 for chunk in chunks)
    for paragraph in paragraphs:
        holders = [chunk for chunk in chunks if paragraph in chunk.content]
        assert len(holders) == 1, "a small paragraph is kept whole in exactly one chunk"
    assert (
        sum(1 for chunk in chunks if "Sentence 500 " in chunk.content or "Sentence 559 " in chunk.content)
        >= 2
    )
    # Paragraphs are packed together up to the size, not one chunk each.
    assert len(chunks) < len(paragraphs) + 8


def test_csv_sections_are_whole_chunks_when_they_fit() -> None:
    doc = parse("csv", documents.csv_rows(rows=30))
    chunks = chunk_document(doc, size=512)
    assert [chunk.content for chunk in chunks] == [section.text for section in doc.sections]
    assert chunks[0].metadata["row_start"] == 1


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_small_csv_chunks_repeat_the_header_and_cover_every_row(strategy: str) -> None:
    doc = parse("csv", documents.csv_rows(rows=120))
    chunks = chunk_document(doc, size=64, overlap=8, strategy=strategy)
    assert len(chunks) > len(doc.sections)
    assert_contiguous(chunks)
    rows: list[str] = []
    for chunk in chunks:
        header, *lines = chunk.content.splitlines()
        assert header == "sku,name,price,stock"
        assert chunk.tokens <= 64
        assert chunk.metadata["row_end"] - chunk.metadata["row_start"] + 1 == len(lines)
        rows += lines
    assert rows == [f"SKU-{n:04d},Widget model {n},{n * 1.5:.2f},7" for n in range(1, 121)]


def test_a_csv_row_larger_than_a_chunk_is_split_under_its_header() -> None:
    long_cell = numbered_prose(40)
    data = f"sku,notes\nA-1,short\nA-2,{long_cell}\nA-3,short\n".encode()
    chunks = chunk_document(parse("csv", data), size=96, overlap=8)
    assert all(chunk.content.startswith("sku,notes\n") for chunk in chunks)
    assert all(chunk.tokens <= 96 for chunk in chunks)
    spilled = [chunk for chunk in chunks if chunk.metadata["row_start"] == chunk.metadata["row_end"] == 2]
    assert len(spilled) > 1
    assert chunks[-1].content == "sku,notes\nA-3,short"


@pytest.mark.parametrize(
    ("size", "overlap", "strategy", "message"),
    [
        (63, 0, "recursive", "between 64 and 4096"),
        (4097, 0, "recursive", "between 64 and 4096"),
        (128, 128, "recursive", "less than the chunk size"),
        (128, -1, "recursive", "at least 0"),
        (128, 16, "semantic", "one of recursive, structure"),
    ],
)
def test_settings_are_validated(size: int, overlap: int, strategy: str, message: str) -> None:
    doc = ParsedDocument(sections=[Section(text="Some text.")])
    with pytest.raises(ValueError, match=message):
        chunk_document(doc, size=size, overlap=overlap, strategy=strategy)


def test_chunking_never_downloads_anything(tmp_path: Path) -> None:
    """With the network refused and tokenizer caches pointed at empty folders, chunking still works."""
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network refused by the test")

        socket.socket.connect = refuse
        socket.create_connection = refuse

        from agentflow.knowledge.chunking import chunk_document
        from agentflow.knowledge.parsing import parse

        text = " ".join(f"Sentence {n} is here. Another one follows." for n in range(200))
        chunks = chunk_document(parse("text", text.encode()), size=64, overlap=8)
        chunks += chunk_document(parse("markdown", b"# A\\n\\nBody.\\n"), strategy="structure")
        print(len(chunks))
        """
    )
    empty = tmp_path / "caches"
    empty.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(empty),
        "TIKTOKEN_CACHE_DIR": str(empty),
        "NLTK_DATA": str(empty),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 10
    assert "download" not in (done.stdout + done.stderr).lower()
    assert list(empty.iterdir()) == []
