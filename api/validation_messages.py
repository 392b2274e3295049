"""Pydantic's validation errors as sentences for people ("Organization name can't be empty"); the 422's
`details` keep each error's `loc` and `type` for programs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Words that read better spelled out or in capitals than as their snake_case part.
_WORDS = {
    "org": "organization",
    "url": "URL",
    "urls": "URLs",
    "id": "ID",
    "ids": "IDs",
    "ip": "IP",
    "ips": "IPs",
    "api": "API",
    "json": "JSON",
    "cidr": "CIDR",
    "sso": "SSO",
    "mfa": "MFA",
    "llm": "LLM",
    "ai": "AI",
    "kb": "knowledge base",
    "cron": "cron",
    "smtp": "SMTP",
    "http": "HTTP",
}
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def field_label(loc: Sequence[Any]) -> str | None:
    """`("body", "org_name")` → "Organization name"; list items name their position ("Scopes, item 2")."""
    parts = list(loc[1:] if loc and loc[0] in _LOCATIONS else loc)
    names = [p for p in parts if isinstance(p, str)]
    if not names:
        return None
    raw = names[-1].replace("-", "_").split("_")
    words = [_WORDS.get(word.lower(), word.lower()) for word in raw if word]
    if not words:
        return None
    label = " ".join(words)
    label = label[0].upper() + label[1:]
    if isinstance(parts[-1], int):
        label += f", item {parts[-1] + 1}"
    return label


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _expected(ctx: dict[str, Any]) -> str:
    return str(ctx.get("expected", "")).replace("'", "")


def human_message(error: dict[str, Any]) -> str:
    """One error of `RequestValidationError.errors()` as a sentence."""
    kind = str(error.get("type", ""))
    ctx: dict[str, Any] = error.get("ctx") or {}
    loc = tuple(error.get("loc", ()))
    msg = str(error.get("msg", "")).strip()
    label = field_label(loc)
    if kind == "extra_forbidden":
        # The caller typed this name: show it as written so it can be found and fixed.
        path = ".".join(str(p) for p in (loc[1:] if loc and loc[0] in _LOCATIONS else loc))
        return f"{path or 'This field'} is not a field this accepts"
    if label is None:
        subject = "The request"
        if kind in ("value_error", "assertion_error"):
            return _sentence(msg.removeprefix("Value error,").removeprefix("Assertion failed,"))
    else:
        subject = label
    simple = {
        "missing": "is required",
        "string_type": "must be text",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_type": "must be a number",
        "float_parsing": "must be a number",
        "finite_number": "must be a finite number",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "dict_type": "must be an object",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "list_type": "must be a list",
        "uuid_type": "must be a valid ID",
        "uuid_parsing": "must be a valid ID",
        "url_parsing": "must be a valid URL",
        "url_scheme": "must be a URL starting with http:// or https://",
        "datetime_parsing": "must be a date and time (2026-03-01T10:00:00Z)",
        "datetime_type": "must be a date and time (2026-03-01T10:00:00Z)",
        "date_parsing": "must be a date (2026-03-01)",
        "date_from_datetime_parsing": "must be a date (2026-03-01)",
        "none_required": "must be empty",
    }
    if kind in simple:
        return f"{subject} {simple[kind]}"
    if kind == "string_pattern_mismatch":
        return f"{subject} is not in the expected format ({ctx.get('pattern')})"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        if least == 1:
            return f"{subject} can't be empty"
        return f"{subject} must be at least {least} characters long"
    if kind == "string_too_long":
        return f"{subject} can be at most {ctx.get('max_length')} characters long"
    if kind == "too_short":
        return f"{subject} needs at least {ctx.get('min_length')} item{'s' * (ctx.get('min_length') != 1)}"
    if kind == "too_long":
        return f"{subject} can have at most {ctx.get('max_length')} items"
    bounds = {
        "greater_than": ("must be more than", "gt"),
        "greater_than_equal": ("must be at least", "ge"),
        "less_than": ("must be less than", "lt"),
        "less_than_equal": ("must be at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"{subject} {words} {ctx.get(key)}"
    if kind in ("literal_error", "enum"):
        return f"{subject} must be one of: {_expected(ctx)}"
    if kind in ("value_error", "assertion_error"):
        reason = msg.removeprefix("Value error,").removeprefix("Assertion failed,").strip()
        if reason.startswith("value is not a valid email address"):
            return f"{subject} is not a valid email address"
        return f"{subject}: {reason}"
    return f"{subject}: {msg}" if msg else f"{subject} is not valid"


def summary(errors: Sequence[dict[str, Any]]) -> str:
    """The 422's message: the first problem, and how many more there are."""
    if not errors:
        return "The request is not valid"
    first = human_message(errors[0])
    more = len(errors) - 1
    return first if not more else f"{first} (and {more} more problem{'s' * (more != 1)})"
