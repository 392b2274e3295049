"""The `state` of an SSO sign-in: which org it is for, signed and short-lived, and bound to the browser that
started it (a nonce also kept in a cookie), so a callback link crafted by someone else signs no one in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass

from agentflow.config import Settings
from agentflow.errors import BadRequest
from agentflow.kit.crypto import new_token

MAX_STATE_CHARS = 600  # what `sign` makes is ~200; anything far longer is not ours


class InvalidState(BadRequest):
    code = "sso_state_invalid"


@dataclass(frozen=True)
class SignInState:
    org_id: uuid.UUID
    nonce: str
    expires_at: float


def _key(settings: Settings) -> bytes:
    # Derived, so a state can never pass for an access token or the other way round.
    return hmac.new(
        settings.jwt_secret.get_secret_value().encode(), b"agentflow-sso-state", "sha256"
    ).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(settings: Settings, *, org_id: uuid.UUID) -> tuple[str, str]:
    """A new state for the org, and the nonce the browser must bring back in its cookie."""
    nonce = new_token(18)
    expires = int(time.time()) + settings.sso_state_minutes * 60
    payload = _b64(json.dumps({"o": str(org_id), "n": nonce, "e": expires}, separators=(",", ":")).encode())
    mac = _b64(hmac.new(_key(settings), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{mac}", nonce


def verify(settings: Settings, state: str, *, cookie_nonce: str | None) -> SignInState:
    """The state's contents; 400 `sso_state_invalid` when forged, expired, or from another browser."""
    payload, _, mac = state.partition(".")
    if not payload or not mac or len(state) > MAX_STATE_CHARS:
        raise InvalidState("The sign-in link is malformed; start the SSO sign-in again")
    expected = _b64(hmac.new(_key(settings), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac, expected):
        raise InvalidState("The sign-in link was not issued by this server; start the SSO sign-in again")
    try:
        data = json.loads(_unb64(payload))
        parsed = SignInState(org_id=uuid.UUID(data["o"]), nonce=str(data["n"]), expires_at=float(data["e"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidState("The sign-in link is malformed; start the SSO sign-in again") from exc
    if parsed.expires_at < time.time():
        raise InvalidState("The sign-in took too long; start the SSO sign-in again", code="sso_state_expired")
    if not cookie_nonce or not hmac.compare_digest(cookie_nonce, parsed.nonce):
        raise InvalidState("This sign-in was started in another browser; start the SSO sign-in again")
    return parsed
