"""Document parsing for knowledge bases: the kind sniffed from content, then its sections read out."""

from agentflow.knowledge.parsing.model import (
    KINDS,
    MEDIA_TYPES,
    DocumentUnreadable,
    ParsedDocument,
    Section,
    UnsupportedType,
)
from agentflow.knowledge.parsing.reader import parse
from agentflow.knowledge.parsing.sniff import sniff

__all__ = [
    "KINDS",
    "MEDIA_TYPES",
    "DocumentUnreadable",
    "ParsedDocument",
    "Section",
    "UnsupportedType",
    "parse",
    "sniff",
]
