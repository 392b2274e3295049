"""What a change may show: secret-ish columns and keys never, every value bounded."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

# A column or JSON key naming any of these words is left out whole: password and key hashes, tokens,
# signing secrets, Vault paths, credentials, ciphertexts. Word-bounded, so `tokens` (a count) stays.
_SECRET_WORDS = re.compile(
    r"(^|_)(password|passwd|secret|secrets|token|hash|credential|credentials|encrypted|ciphertext|cipher"
    r"|private|api_key|apikey|authorization|cookie|verifier|vault|signature|whsec)(_|$)",
    re.IGNORECASE,
)
REDACTED = "[redacted]"
MAX_STRING = 500
MAX_JSON_BYTES = 2000
_BOOKKEEPING = frozenset({"id", "org_id", "created_at", "updated_at"})


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_WORDS.search(name.replace("-", "_")))


def shown(name: str) -> bool:
    """Columns a change lists: not bookkeeping, not secret-ish."""
    return name not in _BOOKKEEPING and not is_secret_name(name)


def safe_value(value: Any) -> Any:
    """A JSON value for the entry: nested secret-ish keys redacted, long strings cut, big documents
    summarised by size (an agent definition's full text is in its version history, not here)."""
    value = _plain(value)
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else value[:MAX_STRING] + "…"
    if isinstance(value, dict | list):
        size = len(orjson.dumps(value))
        if size > MAX_JSON_BYTES:
            return {"omitted": "too large", "bytes": size}
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): REDACTED if is_secret_name(str(k)) else _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return {"omitted": "binary", "bytes": len(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)[:MAX_STRING]
