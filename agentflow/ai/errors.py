"""The one error an AI step fails with, carrying what the step must still record."""

from __future__ import annotations

from typing import Any

from agentflow.providers.base import ErrorKind, ProviderAttempt, Usage


class AIStepError(Exception):
    """An AI step failed. Tokens already spent and every provider call are kept for the step record.

    `retryable` tells the engine whether retrying the step may help (rate limits, 5xx, timeouts, connection
    failures after the whole fallback chain); a 400, a missing credential or an answer that never validated
    will fail the same way again.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind | str,
        retryable: bool,
        usage: Usage | None = None,
        attempts: list[ProviderAttempt] | None = None,
        rendered: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind  # a provider ErrorKind, or "output_validation", "config", "template"
        self.retryable = retryable
        self.usage = usage or Usage()
        self.attempts = attempts or []
        self.rendered = rendered or {}  # the prompts as stored on the step (secrets masked)
        self.details = details or {}

    @property
    def provider_attempts(self) -> list[dict[str, Any]]:
        """The attempts as stored on the step."""
        return [attempt.to_json() for attempt in self.attempts]
