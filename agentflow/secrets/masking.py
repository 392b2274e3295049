"""Masking: every secret value resolved during a run becomes `***` before anything is stored or logged.

Build one `Masker` from the values a run resolved; pass step records, errors and exports through
`masker.mask(...)`, and attach `masker.logging_filter()` to the log handlers the run writes through.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"

# Attributes every LogRecord has; anything else on a record came from `extra=` and is masked too.
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


# Encodings shorter than this are not masked on their own: they would match ordinary text.
_MIN_ENCODED_LENGTH = 6


def _variants(value: str) -> set[str]:
    """The value as written, inside a JSON string (quotes, backslashes, newlines), URL-encoded (a query
    string, a form body) and base64-encoded (standard and URL-safe, with or without padding)."""
    raw = value.encode()
    b64 = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    variants = {
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value),
        b64,
        b64.rstrip("="),
        urlsafe,
        urlsafe.rstrip("="),
    }
    return {value} | {v for v in variants if len(v) >= _MIN_ENCODED_LENGTH}


class Masker:
    """Replaces any of a set of secret values with `***` in strings and nested dicts/lists/tuples/sets.

    Empty values are never masked (they would match everywhere). When one secret contains another, the
    longer one is masked whole: alternatives are tried longest first.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = frozenset(v for v in values if isinstance(v, str) and v)
        variants: set[str] = set()
        for value in self.values:
            variants |= _variants(value)
        ordered = sorted(variants, key=lambda v: (-len(v), v))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def with_values(self, values: Iterable[str]) -> Masker:
        """A masker for these values as well (secrets resolved later in the run)."""
        return Masker([*self.values, *values])

    def mask_text(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern is not None else text

    def mask(self, value: Any) -> Any:
        """A copy of `value` with every secret replaced; keys of mappings are masked too."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.mask_text(value)
        if isinstance(value, bytes | bytearray):
            try:
                return self.mask_text(bytes(value).decode()).encode()
            except UnicodeDecodeError:
                return value
        if isinstance(value, Mapping):
            return {self.mask(k): self.mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.mask(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.mask(v) for v in value)
        if isinstance(value, set | frozenset):
            return type(value)(self.mask(v) for v in value)
        if isinstance(value, BaseException):
            return self.mask_text(f"{type(value).__name__}: {value}")
        return value

    def logging_filter(self) -> MaskingFilter:
        return MaskingFilter(self)


class MaskingFilter(logging.Filter):
    """Masks a record's message, arguments, `extra` fields, traceback and stack before any handler formats it.

    Attach it to handlers (`handler.addFilter(...)`): a filter on a logger does not see records that
    propagate from its children.
    """

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        masker = self.masker
        if not masker:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: keep what we can, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = masker.mask_text(message), None
        if record.exc_info:
            # Format the traceback now, masked, and drop the live exception so no handler re-formats it.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = masker.mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = masker.mask_text(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                setattr(record, key, masker.mask(value))
        return True


class ActiveMaskers:
    """The maskers of every run this process is executing, for log handlers that serve all of them (the
    worker's own and Prefect's): a line about one run is masked with that run's secrets, whoever logs it."""

    def __init__(self) -> None:
        self._maskers: dict[int, Masker] = {}
        self._lock = threading.Lock()

    def add(self, masker: Masker) -> int:
        with self._lock:
            key = id(masker)
            self._maskers[key] = masker
            return key

    def discard(self, key: int) -> None:
        with self._lock:
            self._maskers.pop(key, None)

    def __iter__(self) -> Iterator[Masker]:
        with self._lock:
            return iter(list(self._maskers.values()))


ACTIVE_MASKERS = ActiveMaskers()


class ActiveMaskingFilter(logging.Filter):
    """`MaskingFilter` with the secrets of every run in progress (see `ActiveMaskers`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for masker in ACTIVE_MASKERS:
            MaskingFilter(masker).filter(record)
        return True


def mask_every_handler() -> None:
    """Attach `ActiveMaskingFilter` to every log handler configured so far (root, Prefect's, uvicorn's):
    a filter on a logger does not see records that propagate from its children, a filter on a handler does."""
    loggers = [logging.getLogger(), *(
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    )]  # fmt: skip
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, ActiveMaskingFilter) for f in handler.filters):
                handler.addFilter(ActiveMaskingFilter())
