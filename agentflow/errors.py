"""The one error hierarchy: every expected failure is an AgentFlowError with an HTTP-ish status."""

from __future__ import annotations

from typing import Any


class AgentFlowError(Exception):
    """Base of every error the API renders as `{"error": {"code", "message", "details"}}`."""

    status_code: int = 400
    code: str = "bad_request"
    # Most errors undo the request's writes; a few (a failed login counting toward the throttle,
    # a reused refresh token revoking its family) must keep them.
    persist_changes: bool = False

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}
        if code is not None:
            self.code = code


class BadRequest(AgentFlowError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AgentFlowError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AgentFlowError):
    status_code = 403
    code = "forbidden"


class NotFound(AgentFlowError):
    status_code = 404
    code = "not_found"

    @classmethod
    def resource(cls, kind: str, resource_id: object) -> NotFound:
        return cls(f"{kind} {resource_id} not found")


class Conflict(AgentFlowError):
    status_code = 409
    code = "conflict"


class Gone(AgentFlowError):
    """It existed, and is no more (an expired download link)."""

    status_code = 410
    code = "gone"


class PlanLimitReached(AgentFlowError):
    """The org's plan allows no more of `limit`; `details` say how much is used and allowed, and where to
    upgrade. A webhook delivery gets 429 (`for_webhook`): the sender should retry later, not pay."""

    status_code = 402
    code = "plan_limit_reached"

    def __init__(self, message: str, *, limit: str, used: int, allowed: int, upgrade_url: str) -> None:
        super().__init__(
            message, details={"limit": limit, "used": used, "allowed": allowed, "upgrade_url": upgrade_url}
        )
        self.limit = limit
        self.used = used
        self.allowed = allowed
        self.upgrade_url = upgrade_url

    def for_webhook(self) -> PlanLimitReached:
        refused = PlanLimitReached(
            self.message, limit=self.limit, used=self.used, allowed=self.allowed, upgrade_url=self.upgrade_url
        )
        refused.status_code = 429
        return refused


class PreconditionRequired(AgentFlowError):
    """An edit that must say which revision it is based on did not (If-Match or a `revision` field)."""

    status_code = 428
    code = "precondition_required"


class PayloadTooLarge(AgentFlowError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(AgentFlowError):
    status_code = 415
    code = "unsupported_media_type"


class ValidationFailed(AgentFlowError):
    status_code = 422
    code = "validation_error"


class RateLimited(AgentFlowError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(
            message, headers={"Retry-After": str(retry_after)}, details={"retry_after": retry_after}
        )


class ServiceUnavailable(AgentFlowError):
    status_code = 503
    code = "service_unavailable"
