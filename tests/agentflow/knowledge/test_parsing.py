"""Sniffing and parsing each supported kind from real files built in memory."""

from __future__ import annotations

import io
import itertools
import zipfile

import pytest

from agentflow.knowledge.parsing import (
    KINDS,
    MEDIA_TYPES,
    DocumentUnreadable,
    UnsupportedType,
    parse,
    sniff,
)
from tests.support import documents


def test_every_kind_has_a_media_type() -> None:
    assert set(MEDIA_TYPES) == set(KINDS)
    assert MEDIA_TYPES["pdf"] == "application/pdf"


# --- sniffing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [
        (documents.pdf_two_pages(), "manual.pdf", "pdf"),
        (documents.pdf_two_pages(), "manual.txt", "pdf"),  # the content decides, not the name
        (documents.docx_with_headings(), "handbook.docx", "docx"),
        (documents.docx_with_headings(), "handbook", "docx"),
        (documents.csv_rows(), "products.csv", "csv"),
        (documents.csv_rows(delimiter="\t"), "products.tsv", "csv"),
        (documents.csv_rows(), "products.txt", "text"),  # without the name a table is just text
        (documents.html_page(), "page.txt", "html"),
        (documents.html_page(), "page.md", "html"),
        (b"<p>A <b>fragment</b> of markup</p><p>and another paragraph</p>", "frag.txt", "html"),
        (b"<p>A short paragraph of HTML.</p>", "snippet.html", "html"),
        (documents.markdown_doc(), "guide.md", "markdown"),
        (documents.markdown_doc(), "guide.txt", "text"),
        (b"plain notes\nsecond line", "notes.log", "text"),
        (b"plain notes", "no-extension", "text"),
    ],
)
def test_sniff_reads_the_kind_from_the_content(data: bytes, filename: str, kind: str) -> None:
    assert sniff(data, filename) == kind


def test_a_csv_name_needs_a_real_table() -> None:
    prose = b"This file is called .csv, but it is a paragraph, with commas, not a table.\nSecond line."
    assert sniff(prose, "notes.csv") == "text"
    one_column = b"name\nalice\nbob\n"
    assert sniff(one_column, "names.csv") == "text"
    ragged = b"a,b,c\n1,2\n3,4,5,6\n"
    assert sniff(ragged, "ragged.csv") == "text"


def test_a_png_named_pdf_is_refused_and_named() -> None:
    with pytest.raises(UnsupportedType) as refused:
        sniff(documents.png_bytes(), "report.pdf")
    assert "PNG" in refused.value.message
    assert "PDF, DOCX, CSV, Markdown, plain text and HTML" in refused.value.message


def test_binary_content_named_txt_is_refused() -> None:
    with pytest.raises(UnsupportedType, match="binary data"):
        sniff(bytes(range(256)) * 8, "notes.txt")


def test_a_zip_that_is_not_a_docx_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("readme.txt", "hello")
    with pytest.raises(UnsupportedType, match="ZIP"):
        sniff(archive.getvalue(), "handbook.docx")


# --- PDF ------------------------------------------------------------------------------------------------


def test_pdf_keeps_one_section_per_page_with_its_number() -> None:
    parsed = parse("pdf", documents.pdf_two_pages())
    assert parsed.pages == 2
    assert parsed.title == "Falcon X2 manual"
    assert [section.page for section in parsed.sections] == [1, 2]
    assert "payload of up to four kilograms" in parsed.sections[0].text
    assert "service centre in Lyon" in parsed.sections[1].text


def test_pdf_pages_without_text_are_skipped_but_counted() -> None:
    parsed = parse("pdf", documents.pdf_two_pages(("First page text.", "", "Third page text.")))
    assert parsed.pages == 3
    assert [section.page for section in parsed.sections] == [1, 3]


def test_encrypted_pdf_fails_with_a_clear_reason() -> None:
    with pytest.raises(DocumentUnreadable) as failed:
        parse("pdf", documents.pdf_encrypted())
    assert failed.value.reason.startswith("The PDF is encrypted")


def test_pdf_with_only_an_owner_password_is_read() -> None:
    parsed = parse("pdf", documents.pdf_owner_password_only())
    assert "payload" in parsed.sections[0].text


@pytest.mark.parametrize(
    "data",
    [documents.pdf_corrupt(), documents.pdf_two_pages()[:800], documents.pdf_two_pages()[:-300]],
    ids=["noise", "first-half", "truncated-end"],
)
def test_damaged_pdf_fails_with_a_clear_reason(data: bytes) -> None:
    assert sniff(data, "file.pdf") == "pdf"
    with pytest.raises(DocumentUnreadable) as failed:
        parse("pdf", data)
    assert failed.value.reason.startswith("The PDF is damaged")


def test_scanned_pdf_says_it_has_no_text_layer() -> None:
    with pytest.raises(DocumentUnreadable, match="no text layer"):
        parse("pdf", documents.pdf_scanned())


# --- DOCX -----------------------------------------------------------------------------------------------


def test_docx_sections_keep_headings_and_their_path() -> None:
    parsed = parse("docx", documents.docx_with_headings())
    assert parsed.title == "Falcon X2 handbook"
    assert [section.heading for section in parsed.sections] == [
        "Falcon X2 handbook",
        "Setup",
        "Pairing the controller",
        "Maintenance",
    ]
    pairing = parsed.sections[2]
    assert pairing.metadata["heading_path"] == ["Falcon X2 handbook", "Setup", "Pairing the controller"]
    assert "pairing button" in pairing.text
    assert parsed.pages is None


def test_docx_tables_are_part_of_the_text() -> None:
    maintenance = parse("docx", documents.docx_with_headings()).sections[-1]
    assert "Part | Interval" in maintenance.text
    assert "Propeller ZX-44 | 200 hours" in maintenance.text


def test_damaged_docx_fails_with_a_clear_reason() -> None:
    data = documents.docx_with_headings()
    damaged = data[: len(data) // 2]
    assert sniff(damaged, "handbook.docx") == "docx"
    with pytest.raises(DocumentUnreadable, match="DOCX file is damaged"):
        parse("docx", damaged)


# --- CSV ------------------------------------------------------------------------------------------------


def test_csv_sections_repeat_the_header_and_cover_every_row() -> None:
    parsed = parse("csv", documents.csv_rows(rows=200))
    assert len(parsed.sections) > 1
    for section in parsed.sections:
        assert section.text.splitlines()[0] == "sku,name,price,stock"
    ranges = [(s.metadata["row_start"], s.metadata["row_end"]) for s in parsed.sections]
    assert ranges[0][0] == 1
    assert ranges[-1][1] == 200
    assert all(end + 1 == next_start for (_, end), (next_start, _) in itertools.pairwise(ranges))
    rows = [line for section in parsed.sections for line in section.text.splitlines()[1:]]
    assert rows[0].startswith("SKU-0001,") and rows[-1].startswith("SKU-0200,") and len(rows) == 200


def test_csv_delimiter_is_detected() -> None:
    parsed = parse("csv", documents.csv_rows(rows=3, delimiter=";"))
    assert parsed.sections[0].metadata["delimiter"] == ";"
    assert parsed.sections[0].text.splitlines()[1] == "SKU-0001;Widget model 1;1.50;7"


def test_csv_with_only_a_header_is_unreadable() -> None:
    with pytest.raises(DocumentUnreadable, match="no rows"):
        parse("csv", b"sku,name\n")


# --- text and Markdown ----------------------------------------------------------------------------------


def test_markdown_sections_follow_headings_and_ignore_code_fences() -> None:
    parsed = parse("markdown", documents.markdown_doc())
    assert parsed.title == "Falcon X2 guide"
    assert [section.heading for section in parsed.sections] == [
        "Falcon X2 guide",
        "Installation",
        "Linux",
        "Troubleshooting",
    ]
    linux = parsed.sections[2]
    assert linux.metadata["heading_path"] == ["Falcon X2 guide", "Installation", "Linux"]
    assert "# this is a comment, not a heading" in linux.text
    assert parsed.sections[3].metadata["heading_path"] == ["Falcon X2 guide", "Troubleshooting"]


def test_markdown_headings_may_contain_slashes() -> None:
    parsed = parse("markdown", b"# Input/Output\n\n## Read/Write\n\nBody text.\n")
    assert parsed.sections[0].metadata["heading_path"] == ["Input/Output", "Read/Write"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Caf\u00e9 cr\u00e8me".encode(), "Caf\u00e9 cr\u00e8me"),
        (b"\xef\xbb\xbfWith a BOM", "With a BOM"),
        ("Caf\u00e9 \u201cquoted\u201d".encode("cp1252"), "Caf\u00e9 \u201cquoted\u201d"),
        ("Notepad \u00e9".encode("utf-16"), "Notepad \u00e9"),
        (b"Windows\r\nline ends\r\n", "Windows\nline ends"),
    ],
)
def test_text_is_decoded(data: bytes, expected: str) -> None:
    assert sniff(data, "notes.txt") == "text"
    parsed = parse("text", data)
    assert parsed.sections[0].text == expected


def test_empty_and_blank_files_are_unreadable() -> None:
    for kind in ("text", "pdf", "csv"):
        with pytest.raises(DocumentUnreadable, match="empty"):
            parse(kind, b"  \n")


# --- HTML -----------------------------------------------------------------------------------------------


def test_html_keeps_title_and_main_text_without_boilerplate() -> None:
    parsed = parse("html", documents.html_page())
    assert parsed.title == "Caring for your Falcon X2"
    text = "\n".join(section.text for section in parsed.sections)
    assert "keep the battery at half charge" in text
    assert "compressed air" in text
    for boilerplate in ("Section 3", "cookies", "Copyright", "do-not-index-me", "color: #333"):
        assert boilerplate not in text
    assert parsed.sections[-1].heading == "Cleaning the motors"
    assert parsed.sections[-1].metadata["heading_path"] == [
        "Caring for your Falcon X2",
        "Cleaning the motors",
    ]


def test_html_without_main_content_falls_back_to_its_visible_text() -> None:
    page = (
        b"<html><head><title>Status</title><script>var hidden = 1;</script></head>"
        b"<body><aside><p>The service is up.</p><p>All systems normal.</p></aside></body></html>"
    )
    parsed = parse("html", page)
    assert parsed.title == "Status"
    assert parsed.sections[0].text == "The service is up.\n\nAll systems normal."


def test_html_with_no_text_is_unreadable() -> None:
    with pytest.raises(DocumentUnreadable, match="no readable text"):
        parse("html", b"<html><head><title>Empty</title></head><body><script>x()</script></body></html>")


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown document kind"):
        parse("xlsx", b"data")


@pytest.mark.timeout(15)
@pytest.mark.parametrize("pattern", [',"', ",'", '" ,'])
def test_crafted_csv_cannot_stall_sniffing(pattern: str) -> None:
    """csv.Sniffer's regexes are quadratic on such text (half a minute on 64 KB): only 4 KB reach them."""
    data = (pattern * 40_000).encode()
    assert sniff(data, "crafted.csv") in ("csv", "text")
