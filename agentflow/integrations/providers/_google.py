"""What Gmail and Google Sheets share: Google's OAuth 2 app, its error shape, and token revocation.

Not a provider itself (the registry lists `gmail` and `google_sheets`); each has its own connection and
scopes, so a team can grant Sheets without granting mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from agentflow.integrations.base import ActionCall, IntegrationTool, OAuthApp

AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
# Without `access_type=offline` Google gives no refresh token; without `prompt=consent` it gives one only on
# the very first consent, so a reconnect would end up with a connection that cannot refresh.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
AUTHORIZE_PARAMS = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}


def google_oauth(scopes: tuple[str, ...]) -> OAuthApp:
    return OAuthApp(
        authorize_url=AUTHORIZE_URL,
        token_url=TOKEN_URL,
        revoke_url=REVOKE_URL,
        scopes=scopes,
        pkce=True,
        authorize_params=AUTHORIZE_PARAMS,
    )


class GoogleTool(IntegrationTool):
    """Google APIs answer errors as `{"error": {"code", "message", "status", "errors": [{"reason"}]}}`."""

    auth_kinds = ("oauth2",)

    def error_message(self, response: httpx.Response, body: Any) -> str | None:
        error = body.get("error") if isinstance(body, Mapping) else None
        if isinstance(error, Mapping):
            message = str(error.get("message") or error.get("status") or "")
            status = error.get("status")
            return f"{message} ({status})" if status and status not in message else message or None
        return super().error_message(response, body)

    def is_transient(self, response: httpx.Response, body: Any) -> bool:
        """Google reports per-user and per-minute limits as 403 with a rate-limit reason (Gmail does so
        often); those pass within seconds. Daily quotas (`dailyLimitExceeded`) do not: not retried."""
        error = body.get("error") if isinstance(body, Mapping) else None
        if response.status_code != 403 or not isinstance(error, Mapping):
            return False
        reasons = {str(e.get("reason")) for e in error.get("errors") or [] if isinstance(e, Mapping)}
        return bool(reasons & RATE_LIMIT_REASONS)

    async def revoke(self, call: ActionCall) -> bool:
        """Revoking the refresh token also ends every access token issued from it."""
        app = call.oauth_app
        token = call.credentials.get("refresh_token") or call.credentials.get("access_token")
        if not token or app is None or app.revoke_url is None:
            return False
        await call.request(
            "POST",
            app.revoke_url,
            content=str(httpx.QueryParams({"token": token})),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=False,
        )
        return True
