"""A connection's credentials in Vault: `orgs/<org_id>/integration/<connection id>`.

OAuth connections keep `access_token`, `refresh_token`, `expires_at` (Unix seconds) and `token_type`;
token and API-key connections keep their provider's `credential_fields` by name. Nothing here is ever
written to Postgres, a log line or an error message.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore

# Refresh a token this long before it expires, so a request never starts with one about to lapse.
REFRESH_MARGIN_SECONDS = 60


def ref(org_id: uuid.UUID, connection_id: uuid.UUID) -> SecretRef:
    return SecretRef(org_id, SecretKind.integration, str(connection_id))


async def read(store: SecretStore, org_id: uuid.UUID, connection_id: uuid.UUID) -> dict[str, str] | None:
    return await store.read(ref(org_id, connection_id))


async def write(
    store: SecretStore, org_id: uuid.UUID, connection_id: uuid.UUID, data: Mapping[str, str]
) -> None:
    await store.write(ref(org_id, connection_id), {k: v for k, v in data.items() if v})


async def delete(store: SecretStore, org_id: uuid.UUID, connection_id: uuid.UUID) -> None:
    await store.delete(ref(org_id, connection_id))


def from_token_response(
    token: Mapping[str, Any], previous: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What an OAuth token answer leaves in Vault. A refresh answer without a new refresh token keeps the
    old one (most providers rotate it only sometimes)."""
    data = {
        "access_token": str(token.get("access_token") or ""),
        "token_type": str(token.get("token_type") or "bearer"),
    }
    refresh = token.get("refresh_token") or (previous or {}).get("refresh_token")
    if refresh:
        data["refresh_token"] = str(refresh)
    expires_at = token.get("expires_at")
    if expires_at is None and token.get("expires_in") is not None:
        expires_at = time.time() + float(token["expires_in"])
    if expires_at is not None:
        data["expires_at"] = str(int(float(expires_at)))
    return data


def expires_soon(data: Mapping[str, str], *, now: float | None = None) -> bool:
    """Whether an OAuth access token lapses within the refresh margin (never, without an expiry)."""
    raw = data.get("expires_at")
    if not raw or not data.get("refresh_token"):
        return False
    try:
        return float(raw) - (now if now is not None else time.time()) <= REFRESH_MARGIN_SECONDS
    except ValueError:
        return True


def secret_values(data: Mapping[str, str]) -> list[str]:
    """Every value that must be masked out of results and errors (all of them: a token type is harmless,
    but the set is small and masking more is safe)."""
    return [v for k, v in data.items() if k != "token_type" and k != "expires_at" and v]
