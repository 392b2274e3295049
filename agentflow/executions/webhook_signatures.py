"""Signatures on incoming webhooks, in three formats, all HMAC-SHA256 with the trigger's signing secret:

- Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`), checked by the
  `standardwebhooks` package over `{id}.{timestamp}.{body}`;
- `X-AgentFlow-Signature: t=<unix seconds>,v1=<hex>` over `{t}.{body}` (Stripe's layout);
- `X-AgentFlow-Signature: sha256=<hex>` over the body alone, kept for senders written before timestamps.

The two timestamped formats are refused outside `TOLERANCE` of the server's clock and name a delivery id
that a replay would repeat; the caller records it (see `webhooks.claim_delivery`). The plain format has no
timestamp, so nothing stops a captured request from being sent again: it is accepted only for compatibility.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from standardwebhooks import Webhook, WebhookVerificationError

from agentflow.errors import Unauthorized

SIGNATURE_HEADER = "x-agentflow-signature"
STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# Standard Webhooks' own tolerance, applied to both timestamped formats.
TOLERANCE = timedelta(minutes=5)
MAX_DELIVERY_ID = 200


class InvalidSignature(Unauthorized):
    code = "invalid_signature"


@dataclass(frozen=True)
class Verified:
    """A request whose signature holds; `delivery_id` is what a replay of it would repeat (None: untimed)."""

    delivery_id: str | None


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> Verified:
    """Check the request's signature in whichever format it carries; `InvalidSignature` (401) if it fails."""
    key = secret.encode()
    if any(headers.get(name) is not None for name in STANDARD_HEADERS):
        return _standard(body, headers, key)
    header = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not header:
        raise InvalidSignature(
            "Missing signature: send Standard Webhooks headers (webhook-id, webhook-timestamp, "
            "webhook-signature) or X-AgentFlow-Signature"
        )
    if header.startswith("sha256="):
        return _plain(body, header, key)
    return _timestamped(body, header, key)


def _standard(body: bytes, headers: Mapping[str, str], key: bytes) -> Verified:
    delivery_id = headers.get("webhook-id") or ""
    if not delivery_id or not headers.get("webhook-signature"):
        raise InvalidSignature("Standard Webhooks needs webhook-id, webhook-timestamp and webhook-signature")
    if len(delivery_id) > MAX_DELIVERY_ID:
        raise InvalidSignature(f"webhook-id is longer than {MAX_DELIVERY_ID} characters")
    check_timestamp(headers.get("webhook-timestamp") or "", "webhook-timestamp")
    try:
        Webhook(key).verify(
            body, {name: headers.get(name) or "" for name in STANDARD_HEADERS}, json_parse=False
        )
    except WebhookVerificationError as exc:
        raise InvalidSignature("Wrong webhook-signature: no v1 signature matches this request") from exc
    except ValueError as exc:  # a malformed signature list, bad base64, or a body that is not UTF-8
        raise InvalidSignature(
            "Unreadable webhook-signature: expected space-separated `v1,<base64 HMAC-SHA256>` "
            "over a UTF-8 body"
        ) from exc
    return Verified(delivery_id=f"id:{delivery_id}")


def _timestamped(body: bytes, header: str, key: bytes) -> Verified:
    fields = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for name, _, value in fields if name == "t"]
    signatures = [value.lower() for name, _, value in fields if name == "v1"]
    if len(stamps) != 1 or not signatures:
        raise InvalidSignature(
            "X-AgentFlow-Signature must be `t=<unix seconds>,v1=<hex HMAC-SHA256 of {t}.{body}>` "
            "or `sha256=<hex HMAC-SHA256 of the body>`"
        )
    stamp = stamps[0]
    check_timestamp(stamp, "The signature's t")
    expected = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), signature.encode()) for signature in signatures):
        raise InvalidSignature("Wrong X-AgentFlow-Signature: no v1 signature matches this request")
    return Verified(delivery_id=f"t:{stamp}:v1:{expected}")


def _plain(body: bytes, header: str, key: bytes) -> Verified:
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.lower().encode()):
        raise InvalidSignature("Wrong X-AgentFlow-Signature: the body's HMAC-SHA256 does not match")
    return Verified(delivery_id=None)


def check_timestamp(raw: str, name: str) -> None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InvalidSignature(f"{name} must be a Unix time in whole seconds")
    skew = int(raw) - time.time()
    limit = TOLERANCE.total_seconds()
    if skew < -limit:
        raise InvalidSignature(
            f"Webhook signature timestamp too old: {name} is more than 5 minutes in the past"
        )
    if skew > limit:
        raise InvalidSignature(f"Webhook signature timestamp too new: {name} is more than 5 minutes ahead")
