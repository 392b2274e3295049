"""Structured JSON logs: one object per line, carrying the request id of the request being served, with
credentials that travel in URLs (`?token=`, webhook and invitation tokens) redacted."""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

REDACTED = "[redacted]"
# A browser can only authenticate a WebSocket or an EventSource through the query string (`?token=`, also
# `access_token=` and the like); a webhook URL and an invitation link carry their token as a path segment.
# `/org/invitations/<id>` is an invitation's id, not its token, and stays readable.
_QUERY_TOKEN = re.compile(r"(?i)([?&;][\w.\-]*token=)[^&;\s\"'#]+")
_PATH_TOKEN = re.compile(r"((?<!/org)/invitations/|/hooks/)[^/?#\s\"']+")


def redact_url_tokens(text: str) -> str:
    """The text with every `token=` query value and every webhook/invitation path token replaced."""
    if "token=" not in text.lower() and "/hooks/" not in text and "/invitations/" not in text:
        return text  # the common case: no regex work on every log line
    return _PATH_TOKEN.sub(rf"\1{REDACTED}", _QUERY_TOKEN.sub(rf"\1{REDACTED}", text))


class URLTokenRedactor(logging.Filter):
    """Redacts URL-borne tokens in a record's message, string `extra` fields and traceback.

    On the handler (a filter on a logger does not see its children's records) and on uvicorn's own loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: keep what we can, redacted
            message, record.args = f"{record.msg} {record.args}", None
            record.msg = message
        redacted = redact_url_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info:
            # A request's URL can appear in an exception's text: format it now, redacted, and drop the live
            # exception so no formatter formats it again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_url_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_url_tokens(record.stack_info)
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and key not in _STANDARD_ATTRS and not key.startswith("_"):
                setattr(record, key, redact_url_tokens(value))
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            payload["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # already formatted (and masked) by a filter, or just now
            payload["exc_info"] = record.exc_text
        return orjson.dumps(payload, default=str).decode()


def configure_logging(*, json: bool = True, level: str = "INFO") -> None:
    """Route every logger through one stderr handler (JSON in production, plain text when asked)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JSONFormatter() if json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    redactor = URLTokenRedactor()
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log duplicates ours (which carries the request id); keep its errors.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per outgoing call is noise
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn logs a WebSocket's path with its query string (`?token=…`) on these loggers: filtered at the
    # source too, their records stay redacted in any handler that receives them, not only in ours.
    for name in ("uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.filters[:] = [f for f in uvicorn_logger.filters if not isinstance(f, URLTokenRedactor)]
        uvicorn_logger.addFilter(redactor)
