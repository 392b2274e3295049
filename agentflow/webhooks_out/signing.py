"""Signing secrets (`whsec_<base64 of 32 random bytes>`, kept in Vault only) and Standard Webhooks headers."""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from datetime import UTC, datetime

from standardwebhooks import Webhook

from agentflow.secrets.paths import SecretKind, SecretRef
from agentflow.secrets.store import SecretStore

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def ref(org_id: uuid.UUID, endpoint_id: uuid.UUID) -> SecretRef:
    return SecretRef(org_id, SecretKind.webhook, str(endpoint_id))


async def store_secret(store: SecretStore, org_id: uuid.UUID, endpoint_id: uuid.UUID, secret: str) -> None:
    await store.write(ref(org_id, endpoint_id), {"value": secret})


async def read_secret(store: SecretStore, org_id: uuid.UUID, endpoint_id: uuid.UUID) -> str | None:
    return await store.read_value(ref(org_id, endpoint_id))


async def delete_secret(store: SecretStore, org_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    await store.delete(ref(org_id, endpoint_id))


def message_id(delivery_id: uuid.UUID) -> str:
    """The `webhook-id`: the same for every attempt (and redelivery) of a message, so receivers dedupe."""
    return f"msg_{delivery_id.hex}"


def signed_headers(secret: str, msg_id: str, body: str, *, now: float | None = None) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>` over
    `id.timestamp.body`, signed by the standardwebhooks package itself."""
    timestamp = int(now if now is not None else time.time())
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
