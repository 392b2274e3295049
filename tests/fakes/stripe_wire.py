"""Stripe's wire format for the loopback Stripe (stripe_api.py): form decoding, each endpoint's parameters
(unknown ones refused, as Stripe does), error bodies, and webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

WEBHOOK_SECRET = "whsec_agentflow_fake"

Spec = Any  # "str" | "int" | "bool" | "map" (free-form strings) | [spec] | {name: spec}
LIST_PARAMS: dict[str, Spec] = {
    "limit": "int",
    "starting_after": "str",
    "ending_before": "str",
    "expand": ["str"],
}
SPECS: dict[tuple[str, str], tuple[dict[str, Spec], set[str]]] = {
    ("POST", "/v1/customers"): (
        {"name": "str", "email": "str", "description": "str", "metadata": "map", "expand": ["str"]},
        set(),
    ),
    ("POST", "/v1/checkout/sessions"): (
        {
            "mode": "str",
            "customer": "str",
            "line_items": [{"price": "str", "quantity": "int"}],
            "success_url": "str",
            "cancel_url": "str",
            "client_reference_id": "str",
            "metadata": "map",
            "subscription_data": {"metadata": "map"},
            "allow_promotion_codes": "bool",
            "expand": ["str"],
        },
        {"mode", "line_items", "success_url"},
    ),
    ("GET", "/v1/checkout/sessions/{id}"): ({"expand": ["str"]}, set()),
    ("POST", "/v1/billing_portal/sessions"): (
        {"customer": "str", "return_url": "str", "expand": ["str"]},
        {"customer"},
    ),
    ("GET", "/v1/invoices"): (
        {**LIST_PARAMS, "customer": "str", "subscription": "str", "status": "str"},
        set(),
    ),
    ("GET", "/v1/subscriptions"): (
        {**LIST_PARAMS, "customer": "str", "status": "str", "price": "str"},
        set(),
    ),
    ("GET", "/v1/subscriptions/{id}"): ({"expand": ["str"]}, set()),
    ("POST", "/v1/subscriptions/{id}"): (
        {
            "items": [{"id": "str", "price": "str", "quantity": "int", "deleted": "bool"}],
            "proration_behavior": "str",
            "cancel_at_period_end": "bool",
            "metadata": "map",
            "expand": ["str"],
        },
        set(),
    ),
    ("POST", "/v1/billing/meter_events"): (
        {"event_name": "str", "payload": "map", "identifier": "str", "timestamp": "int"},
        {"event_name", "payload"},
    ),
}


class StripeError(Exception):
    def __init__(
        self, status: int, type_: str, message: str, param: str | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.status, self.body = (
            status,
            {"error": {"type": type_, "message": message, "param": param, "code": code}},
        )


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`line_items[0][price]=p` → {"line_items": {"0": {"price": "p"}}} (the spec checks lists later)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise StripeError(400, "invalid_request_error", f"Invalid parameter: {key}", key)
        node[parts[-1]] = value
    return out


def check(params: dict[str, Any], spec: dict[str, Spec], prefix: str = "") -> dict[str, Any]:
    """The params typed by the spec; an unknown parameter or a wrong type is a 400 naming it."""
    typed: dict[str, Any] = {}
    for name, value in params.items():
        path = f"{prefix}[{name}]" if prefix else name
        if name not in spec:
            raise StripeError(400, "invalid_request_error", f"Received unknown parameter: {path}", path)
        typed[name] = _typed(value, spec[name], path)
    return typed


def _typed(value: Any, spec: Spec, path: str) -> Any:
    bad = StripeError(400, "invalid_request_error", f"Invalid value for {path}", path)
    if spec == "map":
        if not isinstance(value, dict) or any(isinstance(v, dict) for v in value.values()):
            raise bad
        return value
    if isinstance(spec, list):
        if not isinstance(value, dict) or not all(k.isdigit() for k in value):
            raise bad
        return [_typed(value[k], spec[0], f"{path}[{k}]") for k in sorted(value, key=int)]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise bad
        return check(value, spec, path)
    if not isinstance(value, str):
        raise bad
    if spec == "int":
        if not value.lstrip("-").isdigit():
            raise bad
        return int(value)
    if spec == "bool":
        if value not in ("true", "false"):
            raise bad
        return value == "true"
    return value


def sign(body: bytes, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends with this body."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"
