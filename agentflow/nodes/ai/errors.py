"""The error an AI step fails with: a StepError that also keeps every provider call and the stored prompts."""

from __future__ import annotations

from typing import Any

from agentflow.nodes.errors import StepError
from agentflow.providers.base import ErrorKind, ProviderAttempt, Usage


class AIStepError(StepError):
    """An AI step failed. Tokens already spent and every provider call are kept for the step record.

    `retryable` tells the engine whether retrying the step may help (rate limits, 5xx, timeouts, connection
    failures after the whole fallback chain); a 400, a missing credential or an answer that never validated
    will fail the same way again. `code` is a provider ErrorKind, or "output_validation", "config" or
    "template".
    """

    def __init__(
        self,
        message: str,
        *,
        code: ErrorKind | str,
        retryable: bool,
        usage: Usage | None = None,
        attempts: list[ProviderAttempt] | None = None,
        rendered: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.usage = usage or Usage()
        super().__init__(
            message,
            retryable=retryable,
            code=str(code),
            tokens=self.usage.input_tokens + self.usage.output_tokens,
            cost_usd=float(self.usage.cost_usd),
        )
        self.provider_calls = attempts or []
        self.rendered = rendered or {}  # the prompts as stored on the step (secrets masked)
        self.details = details or {}
        self.output = {"error": message, "code": self.code, "provider_attempts": self.provider_attempts}

    @property
    def provider_attempts(self) -> list[dict[str, Any]]:
        """The provider calls as stored on the step."""
        return [attempt.to_json() for attempt in self.provider_calls]
