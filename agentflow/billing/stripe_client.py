"""The Stripe SDK, built once per process from the operator's settings, sending through the egress guard.

Stripe is an operator-configured destination (`AGENTFLOW_STRIPE_API_BASE`, default Stripe's own API), never a
tenant's, but its calls still go through the guard like every outbound call: the SDK's httpx client is
replaced by our guarded one, so a base URL pointing at the stack's own services is refused as anywhere else.
Only the async methods (`*_async`) are used: the guarded client is async.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe

from agentflow.billing.plans import PlanName
from agentflow.config import Settings
from agentflow.egress import EgressPolicy, guarded_client

# Retries of the SDK itself (connection errors, 409/429/5xx), with its own backoff and idempotency keys.
NETWORK_RETRIES = 2
TIMEOUT_SECONDS = 30.0


class BillingNotConfigured(Exception):
    """No Stripe key: billing is off (the API answers 409 `billing_not_configured`)."""


class GuardedHTTPXClient(stripe.HTTPXClient):
    """Stripe's httpx client on the egress-guarded `httpx.AsyncClient`."""

    def __init__(self, policy: EgressPolicy, *, timeout: float = TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        # The SDK built a plain client in super().__init__; it is replaced before any request is sent.
        self._client_async = guarded_client(policy, timeout=timeout)

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> list[Any]:
        # Stripe sends its form-encoded body as a string: httpx wants that as `content`, not `data`.
        kwargs: dict[str, Any] = {"headers": headers, "timeout": self._timeout}
        if post_data:
            kwargs["content"] = post_data if isinstance(post_data, bytes) else str(post_data).encode()
        return [(method, url), kwargs]


def stripe_client(
    settings: Settings, policy: EgressPolicy, *, http_client: GuardedHTTPXClient | None = None
) -> stripe.StripeClient:
    """A StripeClient on the settings' key and base URL; raises BillingNotConfigured without a key.
    The client lives as long as the process (pass `http_client` to close it earlier)."""
    if not settings.billing_enabled or settings.stripe_api_key is None:
        raise BillingNotConfigured
    base = {"api": settings.stripe_api_base.rstrip("/")} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_api_key.get_secret_value(),
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=NETWORK_RETRIES,
        http_client=http_client or GuardedHTTPXClient(policy),
    )


def plan_prices(settings: Settings) -> dict[PlanName, str]:
    """The configured Stripe price of each plan that has one."""
    prices = {
        PlanName.starter: settings.stripe_price_starter,
        PlanName.pro: settings.stripe_price_pro,
        PlanName.enterprise: settings.stripe_price_enterprise,
    }
    return {plan: price for plan, price in prices.items() if price}


def plan_for_price(settings: Settings, price_id: str | None) -> PlanName | None:
    """The plan a Stripe price sells, or None for a price no setting names."""
    for plan, price in plan_prices(settings).items():
        if price == price_id:
            return plan
    return None
