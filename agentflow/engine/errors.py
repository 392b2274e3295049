"""Step failures, split by whether retrying could help (Prefect's retry condition reads `retryable`)."""

from __future__ import annotations

from typing import Any

import httpx


class StepError(Exception):
    """A node failed. `output` is what the node's `error` handle receives when one is connected."""

    retryable: bool = False

    def __init__(self, message: str, *, output: Any = None, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.output = output if output is not None else {"error": message}
        if retryable is not None:
            self.retryable = retryable


class TransientStepError(StepError):
    """Timeouts, connection errors, 429 and 5xx answers: worth another attempt."""

    retryable = True


class PermanentStepError(StepError):
    """Bad configuration, 4xx answers, validation errors: the same attempt would fail the same way."""

    retryable = False


def is_retryable(exc: BaseException) -> bool:
    """What Prefect's `retry_condition_fn` asks: only transient failures are retried."""
    if isinstance(exc, StepError):
        return exc.retryable
    if isinstance(exc, httpx.TimeoutException | httpx.NetworkError | TimeoutError | ConnectionError):
        return True
    retryable = getattr(exc, "retryable", None)  # e.g. provider errors from the AI layer
    return bool(retryable)
