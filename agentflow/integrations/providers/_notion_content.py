"""Notion's content shapes for the connector: ids from links, plain text to blocks, property values to plain
values (what a workflow references downstream: `{{ page.properties.Status }}` is `Done`, not a rich object).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

MAX_TEXT = 2000  # Notion's limit on one rich-text object's content
MAX_BLOCKS_PER_REQUEST = 100  # Notion's limit on children per request
_HEX_ID = re.compile(r"([0-9a-fA-F]{32})(?![0-9a-fA-F])")
_PREFIXES = (
    ("### ", "heading_3"),
    ("## ", "heading_2"),
    ("# ", "heading_1"),
    ("- [ ] ", "to_do"),
    ("- [x] ", "to_do"),
    ("- ", "bulleted_list_item"),
    ("* ", "bulleted_list_item"),
    ("> ", "quote"),
)
_NUMBERED = re.compile(r"^\d{1,4}[.)] ")


def _notion_id(value: Any) -> Any:
    """`https://www.notion.so/Team-Roadmap-1a2b…?v=…`, a 32-hex id or a UUID → the UUID form."""
    if not isinstance(value, str):
        return value
    match = _HEX_ID.search(value.split("?")[0].replace("-", ""))
    if not match:
        raise ValueError("not a Notion id or link (32 hexadecimal digits)")
    hexid = match.group(1).lower()
    return f"{hexid[:8]}-{hexid[8:12]}-{hexid[12:16]}-{hexid[16:20]}-{hexid[20:]}"


NotionId = Annotated[str, BeforeValidator(_notion_id), Field(max_length=300)]


def rich_text(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": {"content": text[i : i + MAX_TEXT]}} for i in range(0, len(text), MAX_TEXT)
    ]


def _block(kind: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"object": "block", "type": kind, kind: {"rich_text": rich_text(text), **extra}}


def text_blocks(text: str) -> list[dict[str, Any]]:
    """Plain text (with a little Markdown: `#` headings, `-` bullets, `1.` lists, `- [ ]` to-dos, `>` quotes)
    as Notion blocks; consecutive plain lines make one paragraph, blank lines separate paragraphs."""
    blocks: list[dict[str, Any]] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_block("paragraph", "\n".join(paragraph)))
            paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        kind = next(((k, p) for p, k in _PREFIXES if stripped.startswith(p)), None)
        if kind is not None:
            flush()
            name, prefix = kind
            extra = {"checked": prefix == "- [x] "} if name == "to_do" else {}
            blocks.append(_block(name, stripped[len(prefix) :], **extra))
        elif _NUMBERED.match(stripped):
            flush()
            blocks.append(_block("numbered_list_item", _NUMBERED.sub("", stripped, count=1)))
        else:
            paragraph.append(stripped)
    flush()
    return blocks


def batches(blocks: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(blocks), MAX_BLOCKS_PER_REQUEST):
        yield blocks[start : start + MAX_BLOCKS_PER_REQUEST]


def plain_text(parts: Any) -> str:
    return "".join(
        str(p.get("plain_text") or (p.get("text") or {}).get("content") or "") for p in parts or []
    )


def plain_value(prop: Mapping[str, Any]) -> Any:
    """One property value as a plain value (text, number, names, ids, dates as ISO strings)."""
    kind = prop.get("type")
    value = prop.get(kind) if isinstance(kind, str) else None
    if kind in ("title", "rich_text"):
        return plain_text(value)
    if kind in ("select", "status"):
        return value.get("name") if isinstance(value, Mapping) else None
    if kind == "multi_select":
        return [option.get("name") for option in value or []]
    if kind == "date":
        if not isinstance(value, Mapping):
            return None
        return value.get("start") if not value.get("end") else {"start": value["start"], "end": value["end"]}
    if kind == "people":
        return [person.get("name") or person.get("id") for person in value or []]
    if kind == "relation":
        return [related.get("id") for related in value or []]
    if kind == "files":
        return [f.get("name") for f in value or []]
    if kind == "formula" and isinstance(value, Mapping):
        return value.get(value.get("type", ""))
    if kind == "rollup" and isinstance(value, Mapping):
        inner = value.get(value.get("type", ""))
        return [plain_value(item) for item in inner] if isinstance(inner, list) else inner
    if kind == "unique_id" and isinstance(value, Mapping):
        prefix = value.get("prefix")
        return f"{prefix}-{value.get('number')}" if prefix else value.get("number")
    if kind in ("created_by", "last_edited_by") and isinstance(value, Mapping):
        return value.get("name") or value.get("id")
    return value  # number, checkbox, url, email, phone_number, created_time, last_edited_time


def page_summary(page: Mapping[str, Any]) -> dict[str, Any]:
    properties = page.get("properties") or {}
    title = next((plain_value(p) for p in properties.values() if p.get("type") == "title"), None)
    return {
        "id": page.get("id"),
        "url": page.get("url"),
        "title": title,
        "properties": {name: plain_value(prop) for name, prop in properties.items()},
        "created_time": page.get("created_time"),
        "last_edited_time": page.get("last_edited_time"),
        "in_trash": page.get("in_trash", page.get("archived", False)),
    }
