"""CSV: groups of rows per section, each led by the header line so every chunk says what its columns are."""

from __future__ import annotations

import csv
import io

from agentflow.knowledge.parsing.decoding import decode_text
from agentflow.knowledge.parsing.model import DocumentUnreadable, ParsedDocument, Section

DELIMITERS = ",;\t|"
# A section holds rows up to about this many characters (~400 tokens), so at the default chunk size of 512
# a section is one chunk; chunking splits a section by rows again when the chosen size is smaller.
SECTION_CHARACTERS = 1600
_SNIFF_SAMPLE = 64 * 1024
_DIALECT_SAMPLE = 4 * 1024


def detect_dialect(text: str) -> type[csv.Dialect] | None:
    """The CSV dialect of `text` when it reads as a table of ≥ 2 columns of one width, else None."""
    sample = text[:_SNIFF_SAMPLE]
    # The Sniffer's quote-guessing regexes take quadratic time on crafted text (`,"` repeated: ~30 s on
    # 64 KB, in the API process that sniffs uploads), so it reads whole lines of the first 4 KB only; the
    # width check below still reads the whole sample.
    head = sample[:_DIALECT_SAMPLE]
    if len(sample) > _DIALECT_SAMPLE and "\n" in head:
        head = head[: head.rindex("\n")]
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=DELIMITERS)
    except csv.Error:
        return None
    lines = sample.splitlines()
    if len(text) > _SNIFF_SAMPLE:
        lines = lines[:-1]  # the sample may end mid-row
    try:
        widths = {len(row) for row in csv.reader(lines, dialect) if row}
    except csv.Error:
        return None
    if len(widths) != 1 or widths.pop() < 2:
        return None
    return dialect


def render_rows(rows: list[list[str]], delimiter: str) -> str:
    """Rows written back as CSV lines (quoted where needed) with the file's own delimiter."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().rstrip("\n")


def parse_csv(data: bytes) -> ParsedDocument:
    """Sections of consecutive rows, each starting with the header line; metadata has their row range."""
    text = decode_text(data)
    if text is None:
        raise DocumentUnreadable("The CSV file is not text")
    dialect = detect_dialect(text)
    delimiter = dialect.delimiter if dialect else ","
    try:
        rows = [row for row in csv.reader(io.StringIO(text), dialect or csv.excel) if any(row)]
    except csv.Error as error:
        raise DocumentUnreadable(f"The CSV file could not be read ({error})") from error
    if not rows:
        raise DocumentUnreadable("The CSV file is empty")
    if len(rows) == 1:
        raise DocumentUnreadable("The CSV file has a header line but no rows")
    header, body = rows[0], rows[1:]
    header_line = render_rows([header], delimiter)
    lines = [render_rows([row], delimiter) for row in body]
    sections: list[Section] = []
    start = 0
    while start < len(lines):
        end, size = start + 1, len(header_line) + 1 + len(lines[start])
        while end < len(lines) and size + 1 + len(lines[end]) <= SECTION_CHARACTERS:
            size += 1 + len(lines[end])
            end += 1
        # Row numbers count data rows from 1 (the header is not a row), as a spreadsheet user reads them.
        metadata = {"row_start": start + 1, "row_end": end, "delimiter": delimiter}
        sections.append(Section(text="\n".join([header_line, *lines[start:end]]), metadata=metadata))
        start = end
    return ParsedDocument(sections=sections)
