"""The one error a step fails with. A leaf module: handlers, the AI operations and the engine all raise and
read it, and it imports nothing of theirs.

`kind` says what happened and whether retrying can help — Prefect's retry condition reads `retryable`:
- `transient`: timeouts, connection errors, 429 and 5xx answers; another attempt may succeed;
- `permanent`: bad configuration, 4xx answers, validation errors; the same attempt would fail the same way;
- `timed_out`: the node's or the execution's time ran out;
- `cancelled`: someone cancelled the execution.
A step that fails records its kind, attempts, and the tokens and cost it spent before failing.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

ErrorKind = Literal["transient", "permanent", "cancelled", "timed_out"]


class StepError(Exception):
    """A node failed. `output` is what the node's `error` handle receives when one is connected; `code` is
    a finer reason for people and analytics (`rate_limit`, `output_validation`, `http_404`, …)."""

    kind: ErrorKind = "permanent"

    def __init__(
        self,
        message: str,
        *,
        output: Any = None,
        kind: ErrorKind | None = None,
        retryable: bool | None = None,
        code: str | None = None,
        tokens: int = 0,
        cost_usd: float = 0.0,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.output = output if output is not None else {"error": message}
        if kind is not None:
            self.kind = kind
        elif retryable is not None:
            self.kind = "transient" if retryable else "permanent"
        self.code = code
        self.tokens = tokens
        self.cost_usd = cost_usd
        self.attempts = attempts

    @property
    def retryable(self) -> bool:
        return self.kind == "transient"


class TransientStepError(StepError):
    """Timeouts, connection errors, 429 and 5xx answers: worth another attempt."""

    kind: ErrorKind = "transient"


class PermanentStepError(StepError):
    """Bad configuration, 4xx answers, validation errors: the same attempt would fail the same way."""

    kind: ErrorKind = "permanent"


def error_kind(exc: BaseException) -> ErrorKind:
    """The kind of any failure a handler may raise (a StepError says it; anything else is judged by type)."""
    if isinstance(exc, StepError):
        return exc.kind
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "transient"
    if isinstance(exc, httpx.NetworkError | ConnectionError):
        return "transient"
    return "permanent"


def is_retryable(exc: BaseException) -> bool:
    """What Prefect's `retry_condition_fn` asks: only transient failures are retried."""
    return error_kind(exc) == "transient"
