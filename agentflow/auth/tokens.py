"""Short-lived JWT access tokens carrying the user id and the current org id, for this API only (`aud`) from
this deployment only (`iss`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from agentflow.config import Settings
from agentflow.errors import Unauthorized

ALGORITHM = "HS256"
AUDIENCE = "agentflow-api"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    org_id: uuid.UUID


def issue_access_token(settings: Settings, *, user_id: uuid.UUID, org_id: uuid.UUID) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        "org": str(org_id),
        "typ": "access",
        "iss": settings.jwt_issuer,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "org", "exp", "typ", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Access token expired", code="token_expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("Invalid access token", code="invalid_token") from exc
    if payload.get("typ") != "access":
        raise Unauthorized("Invalid access token", code="invalid_token")
    try:
        return AccessClaims(user_id=uuid.UUID(payload["sub"]), org_id=uuid.UUID(payload["org"]))
    except (ValueError, TypeError) as exc:
        raise Unauthorized("Invalid access token", code="invalid_token") from exc
