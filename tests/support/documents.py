"""Real documents built in memory for the knowledge tests: each returns the bytes of a file of its kind."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence

import docx
from fpdf import FPDF
from fpdf.enums import EncryptionMethod

PAGE_ONE = (
    "The Falcon X2 drone carries a payload of up to four kilograms. Its battery lasts forty minutes in calm "
    "weather and recharges in ninety minutes from a standard wall socket."
)
PAGE_TWO = (
    "Warranty claims for the Falcon X2 are handled by the service centre in Lyon. Send the serial number, "
    "the purchase receipt and a short description of the fault."
)


def _pdf(texts: Sequence[str]) -> FPDF:
    pdf = FPDF()
    pdf.set_title("Falcon X2 manual")
    pdf.set_font("helvetica", size=12)
    for text in texts:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return pdf


def pdf_two_pages(texts: Sequence[str] = (PAGE_ONE, PAGE_TWO)) -> bytes:
    """A PDF with one page per text (two by default), with a text layer and a title."""
    return bytes(_pdf(texts).output())


def pdf_encrypted() -> bytes:
    """A PDF that opens only with a user password (AES-128)."""
    pdf = _pdf([PAGE_ONE])
    pdf.set_encryption(
        owner_password="owner-secret",
        user_password="user-secret",
        encryption_method=EncryptionMethod.AES_128,
    )
    return bytes(pdf.output())


def pdf_owner_password_only() -> bytes:
    """A PDF encrypted with an owner password only (no copying or editing): it opens without a password."""
    pdf = _pdf([PAGE_ONE])
    pdf.set_encryption(owner_password="owner-secret", encryption_method=EncryptionMethod.AES_128)
    return bytes(pdf.output())


def pdf_corrupt() -> bytes:
    """A file that starts like a PDF and then is nothing but noise (a truncated download, say)."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes((i * 37 + 11) % 256 for i in range(2048))


def pdf_scanned() -> bytes:
    """A PDF whose pages hold only drawings, like a scan: there is no text to extract."""
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def docx_with_headings() -> bytes:
    """A DOCX with a title, two levels of headings, body paragraphs and a table."""
    document = docx.Document()
    document.core_properties.title = "Falcon X2 handbook"
    document.add_heading("Falcon X2 handbook", level=0)
    document.add_paragraph("This handbook covers setup and maintenance of the Falcon X2 drone.")
    document.add_heading("Setup", level=1)
    document.add_paragraph("Charge the battery fully before the first flight.")
    document.add_heading("Pairing the controller", level=2)
    document.add_paragraph("Hold the pairing button for five seconds until the light blinks blue.")
    document.add_heading("Maintenance", level=1)
    document.add_paragraph("Replace the propellers every two hundred flight hours.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Part"
    table.cell(0, 1).text = "Interval"
    table.cell(1, 0).text = "Propeller ZX-44"
    table.cell(1, 1).text = "200 hours"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def csv_rows(rows: int = 30, delimiter: str = ",") -> bytes:
    """A product table: a header line and `rows` data rows."""
    lines = [delimiter.join(["sku", "name", "price", "stock"])]
    for index in range(1, rows + 1):
        lines.append(delimiter.join([f"SKU-{index:04d}", f"Widget model {index}", f"{index * 1.5:.2f}", "7"]))
    return ("\n".join(lines) + "\n").encode()


def html_page() -> bytes:
    """An article page wrapped in the navigation, cookie banner and footer a real site has."""
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(12))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Caring for your Falcon X2</title>
<script>var tracking = "do-not-index-me";</script><style>body {{ color: #333; }}</style></head>
<body>
<header><nav><ul>{nav}</ul></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies.</div>
<main><article>
<h1>Caring for your Falcon X2</h1>
<p>The Falcon X2 needs little care, but a few habits keep it flying for years. Store the drone in a dry place
and keep the battery at half charge when you will not fly for a month or more.</p>
<h2>Cleaning the motors</h2>
<p>After flights over sand or dust, blow the motors clean with compressed air. Never use water or solvents on
the motor housings, because moisture corrodes the bearings over time.</p>
<p>Check the propellers for chips and cracks before every flight and replace any damaged propeller
at once.</p>
</article></main>
<footer><p>Copyright 2026 Falcon Robotics. All rights reserved. Privacy policy. Terms of use.</p></footer>
</body></html>""".encode()


def markdown_doc() -> bytes:
    """A Markdown guide with nested headings and a fenced code block holding a `#` line."""
    return b"""# Falcon X2 guide

An introduction to the drone.

## Installation

Install the companion app from the store.

### Linux

Run the installer script:

```
# this is a comment, not a heading
./install.sh
```

## Troubleshooting

If the drone does not pair, restart the controller.
"""


def png_bytes() -> bytes:
    """A valid 1x1 PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
