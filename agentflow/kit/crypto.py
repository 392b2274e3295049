"""Random tokens and their one-way digests (for API keys, refresh tokens, invitations)."""

from __future__ import annotations

import hashlib
import secrets


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token."""
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """SHA-256 hex digest: enough for high-entropy tokens, and cheap on the hot auth path."""
    return hashlib.sha256(token.encode()).hexdigest()
