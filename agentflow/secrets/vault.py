"""The Vault connection: config from settings, an hvac client that logs itself in, errors made 503s.

hvac is synchronous; callers on an event loop run `VaultSession.call` in a thread (see store.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import hvac
import hvac.exceptions
import requests

from agentflow.config import Settings
from agentflow.errors import ServiceUnavailable
from agentflow.secrets.paths import check_prefix

logger = logging.getLogger("agentflow.secrets")

T = TypeVar("T")

# Log in again this long before the token's TTL runs out, so no request carries an expiring token.
_RELOGIN_MARGIN_SECONDS = 30.0


class VaultUnavailable(ServiceUnavailable):
    """Vault is unreachable, sealed, or refuses AgentFlow's credentials: secret operations answer 503."""

    code = "service_unavailable"


@dataclass(frozen=True)
class VaultConfig:
    """Where Vault is and how to authenticate; credentials are kept out of repr()."""

    addr: str | None
    token: str | None = field(default=None, repr=False)
    role_id: str | None = None
    secret_id: str | None = field(default=None, repr=False)
    namespace: str | None = None
    mount: str = "secret"
    prefix: str = "agentflow"
    approle_mount: str = "approle"
    timeout: float = 5.0

    def __post_init__(self) -> None:
        check_prefix(self.prefix)

    @classmethod
    def from_settings(cls, settings: Settings) -> VaultConfig:
        return cls(
            addr=settings.vault_addr,
            token=settings.vault_token.get_secret_value() if settings.vault_token else None,
            role_id=settings.vault_role_id,
            secret_id=settings.vault_secret_id.get_secret_value() if settings.vault_secret_id else None,
            namespace=settings.vault_namespace,
            mount=settings.vault_mount,
            prefix=settings.vault_prefix,
            approle_mount=settings.vault_approle_mount,
            timeout=settings.vault_timeout_seconds,
        )

    @property
    def auth_method(self) -> Literal["approle", "token"] | None:
        if self.role_id and self.secret_id:
            return "approle"
        if self.token:
            return "token"
        return None


def unavailable(exc: Exception) -> VaultUnavailable:
    """Translate a transport or Vault error into the 503 the API shows (details stay in the server log)."""
    if isinstance(exc, VaultUnavailable):
        return exc
    if isinstance(exc, requests.exceptions.Timeout):
        reason = "Vault did not answer in time"
    elif isinstance(exc, requests.exceptions.RequestException):
        reason = "Vault is unreachable"
    elif isinstance(exc, hvac.exceptions.VaultDown):
        reason = "Vault is sealed"
    elif isinstance(exc, hvac.exceptions.VaultNotInitialized):
        reason = "Vault is not initialized"
    elif isinstance(exc, hvac.exceptions.Forbidden | hvac.exceptions.Unauthorized):
        reason = "Vault refused AgentFlow's credentials"
    else:
        reason = "Vault answered with an error"
    logger.warning("secret store unavailable: %s (%s: %s)", reason, type(exc).__name__, str(exc)[:300])
    return VaultUnavailable(
        f"The secret store is unavailable ({reason}); secrets cannot be read or changed until it is back. "
        "Everything else keeps working."
    )


class VaultSession:
    """One hvac client per process, authenticated by token or AppRole; re-logs in when the token expires.

    hvac would read VAULT_TOKEN and ~/.vault-token by itself; the token is always passed explicitly so the
    only credentials used are the ones in the config.
    """

    def __init__(self, config: VaultConfig) -> None:
        if not config.addr:
            raise VaultUnavailable("The secret store is not configured (set VAULT_ADDR)")
        self.config = config
        self.client = hvac.Client(
            url=config.addr, token=config.token or "", namespace=config.namespace, timeout=config.timeout
        )
        self._lock = threading.Lock()
        self._logged_in = config.auth_method == "token"
        self._expires_at: float | None = None

    def _login(self) -> None:
        try:
            response = self.client.auth.approle.login(
                role_id=self.config.role_id,
                secret_id=self.config.secret_id,
                mount_point=self.config.approle_mount,
                use_token=True,
            )
        except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden) as exc:
            raise unavailable(hvac.exceptions.Forbidden(str(exc))) from exc
        ttl = float(response["auth"].get("lease_duration") or 0)
        self._expires_at = time.monotonic() + ttl if ttl else None
        self._logged_in = True

    def _ensure_login(self, *, force: bool = False) -> None:
        if self.config.auth_method != "approle":
            if self.config.auth_method is None:
                raise VaultUnavailable(
                    "The secret store has no credentials (set VAULT_ROLE_ID + VAULT_SECRET_ID or VAULT_TOKEN)"
                )
            return
        with self._lock:
            expiring = (
                self._expires_at is not None and time.monotonic() > self._expires_at - _RELOGIN_MARGIN_SECONDS
            )
            if force or not self._logged_in or expiring:
                self._login()

    def call(self, action: Callable[[hvac.Client], T]) -> T:
        """Run one Vault request (blocking); any failure to reach or use Vault becomes VaultUnavailable."""
        try:
            self._ensure_login()
            try:
                return action(self.client)
            except hvac.exceptions.Forbidden:
                if self.config.auth_method != "approle":
                    raise
                # The token may have been revoked or lost (e.g. Vault restored): log in once more.
                self._ensure_login(force=True)
                return action(self.client)
        except (requests.exceptions.RequestException, hvac.exceptions.VaultError) as exc:
            raise unavailable(exc) from exc

    def authenticated_client(self) -> hvac.Client:
        """The logged-in hvac client, for code that needs Vault APIs beyond the SecretStore."""
        self.call(lambda client: None)
        return self.client

    def health(self) -> tuple[Literal["ok", "down"], str | None]:
        """`sys/health` (unauthenticated): ok when active or standby, down when sealed or unreachable."""
        try:
            answer: Any = self.client.sys.read_health_status(method="GET")
        except requests.exceptions.RequestException as exc:
            return "down", f"{type(exc).__name__}: unreachable"
        if isinstance(answer, dict):
            return "ok", None
        status = getattr(answer, "status_code", None)
        if status in (429, 472, 473):  # standby nodes still serve reads through the active one
            return "ok", None
        reasons = {503: "sealed", 501: "not initialized"}
        return "down", reasons.get(status, f"HTTP {status}") if isinstance(status, int) else "no answer"

    def close(self) -> None:
        self.client.adapter.close()
