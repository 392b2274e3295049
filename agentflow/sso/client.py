"""The WorkOS SDK, built once per API process from the operator's settings, sending through the egress guard.

WorkOS is an operator-configured destination (`WORKOS_BASE_URL`, default WorkOS's own API), never a tenant's,
but its calls still go through the guard like every outbound call. SDK failures become AgentFlow errors here,
so services never see a WorkOS exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import workos
from workos._errors import WorkOSError

from agentflow.config import Settings
from agentflow.egress import EgressPolicy, EgressRefused, guarded_client
from agentflow.errors import ServiceUnavailable

# A person waits on these calls (sign-in, saving the settings): a short timeout and a single retry.
TIMEOUT_SECONDS = 15
MAX_RETRIES = 1


class SSONotConfigured(ServiceUnavailable):
    code = "sso_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "SSO is not configured on this server: the operator sets WORKOS_API_KEY and WORKOS_CLIENT_ID"
        )


class WorkOSUnavailable(ServiceUnavailable):
    code = "workos_unavailable"


def workos_client(settings: Settings, policy: EgressPolicy) -> workos.AsyncWorkOSClient | None:
    """An AsyncWorkOSClient on the settings' key, client id and base URL; None while SSO is off.
    Its guarded HTTP client lives as long as the process."""
    if not settings.sso_enabled or settings.workos_api_key is None:
        return None
    return workos.AsyncWorkOSClient(
        api_key=settings.workos_api_key.get_secret_value(),
        client_id=settings.workos_client_id,
        # Given explicitly: the SDK would otherwise read WORKOS_BASE_URL itself, past the settings.
        base_url=(settings.workos_base_url or "https://api.workos.com").rstrip("/"),
        request_timeout=TIMEOUT_SECONDS,
        max_retries=MAX_RETRIES,
        http_client=guarded_client(policy, timeout=TIMEOUT_SECONDS),
    )


def require(client: workos.AsyncWorkOSClient | None) -> workos.AsyncWorkOSClient:
    if client is None:
        raise SSONotConfigured
    return client


@asynccontextmanager
async def talking_to_workos(action: str) -> AsyncIterator[None]:
    """Network failures, refused egress and WorkOS's own 5xx/401 (a wrong API key) are a 503 naming
    `action`; the 4xx a caller's input caused are left to the caller (subclasses of workos.BadRequestError,
    NotFoundError) and must be caught before this."""
    try:
        yield
    except EgressRefused as exc:
        raise WorkOSUnavailable(f"Cannot reach WorkOS to {action}: the egress policy refused it") from exc
    except WorkOSError as exc:
        status = getattr(exc, "status_code", None)
        detail = f" (HTTP {status})" if status else ""
        raise WorkOSUnavailable(f"WorkOS could not {action}{detail}") from exc
