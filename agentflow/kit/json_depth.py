"""How deeply a JSON text nests, measured at C speed without parsing it.

Python's `json` recurses once per level and fails with RecursionError (an unhandled 500) on a body such as
`[[[[…]]]]` a hundred thousand deep; orjson stops at 254 levels, so a body stored at 300 deep breaks later
when the worker reads it back. Nothing a tenant writes needs more than `MAX_JSON_DEPTH` levels.
"""

from __future__ import annotations

import itertools
import re

MAX_JSON_DEPTH = 64

# A JSON string, to blank out: brackets inside strings do not nest. Possessive, and the closing quote is
# optional, so an unterminated string is matched to the end instead of being retried: linear time.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEP = [0] * 256
for _open in b"[{":
    _STEP[_open] = 1
for _close in b"]}":
    _STEP[_close] = -1


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (0 for a scalar); unbalanced brackets in
    invalid JSON count as they stand."""
    raw = data.encode() if isinstance(data, str) else data
    # Strings out (a plain split when no escape can hide a quote), then brackets only, then a running sum.
    outside = _STRING.sub(b"", raw) if b"\\" in raw else b"".join(raw.split(b'"')[::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def too_deep(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the text nests deeper than the limit (at once when it has fewer brackets than that)."""
    raw = data.encode() if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    return json_depth(raw) > limit
