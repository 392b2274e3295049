"""Regular expressions that tenants write, on RE2: matching time grows linearly with the text.

Python's `re` backtracks, so a pattern such as `(a+)+$` against a long near-miss takes exponential time
and would stall the shared worker. RE2 never backtracks; it refuses the few constructs that need it
(backreferences, lookaround, atomic groups), and those are reported by name instead.
"""

from __future__ import annotations

import functools
import re

import re2


class RegexError(ValueError):
    """A pattern is not a valid regular expression, or needs backtracking (not supported)."""

    def __init__(self, message: str, *, pattern: str) -> None:
        super().__init__(message)
        self.message = message
        self.pattern = pattern


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the tenant's mistake, reported to them, not to stderr


@functools.lru_cache(maxsize=1024)
def compile_regex(pattern: str) -> re2._Regexp[str]:
    """The compiled pattern, or RegexError naming the pattern and what is wrong with it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        reason = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        if _python_accepts(pattern):
            raise RegexError(
                f"the regular expression {pattern!r} is not supported: backreferences/lookaround "
                f"(\\1, (?P=name), (?=…), (?!…), (?<=…), (?<!…)) and other constructs that need "
                f"backtracking are not available, patterns run on a linear-time engine ({reason})",
                pattern=pattern,
            ) from exc
        raise RegexError(f"{pattern!r} is not a valid regular expression: {reason}", pattern=pattern) from exc


def _python_accepts(pattern: str) -> bool:
    """Whether Python's `re` compiles it: then RE2 refused a feature, not a typo (compiling is linear)."""
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


def search(pattern: str, text: str) -> bool:
    """Whether the pattern matches anywhere in the text (like `re.search`); RegexError if it cannot run."""
    return compile_regex(pattern).search(text) is not None
