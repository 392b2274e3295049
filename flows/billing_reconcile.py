"""`billing_reconcile`: daily, every paying org's subscription re-read from Stripe (billing/reconcile.py)."""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow

from agentflow.billing.reconcile import reconcile
from agentflow.billing.stripe_client import GuardedHTTPXClient, stripe_client
from agentflow.config import get_settings
from agentflow.db import create_engine, create_sessionmaker
from agentflow.egress import EgressPolicy


@flow(name="billing-reconcile", persist_result=False)
async def billing_reconcile() -> dict[str, int]:
    """Without a Stripe key there is nothing to reconcile (billing is off)."""
    settings = get_settings()
    if not settings.billing_enabled:
        return {"accounts": 0, "failed": 0, "meter_events": 0}
    engine = create_engine(settings)
    http = GuardedHTTPXClient(EgressPolicy.from_settings(settings))
    client = stripe_client(settings, EgressPolicy.from_settings(settings), http_client=http)
    try:
        return asdict(await reconcile(create_sessionmaker(engine), settings, client))
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]
        await engine.dispose()
