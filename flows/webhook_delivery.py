"""`webhook_delivery`: sends outbound webhook deliveries (agentflow/webhooks_out), started every minute by the
`webhook-delivery/every-minute` system deployment; each run listens for new deliveries for almost a minute
(`AGENTFLOW_WEBHOOK_DELIVERY_RUN_SECONDS`), so one is sent within moments of being queued."""

from __future__ import annotations

from typing import Any

from prefect import flow

from agentflow.config import get_settings
from agentflow.db import create_engine, create_sessionmaker
from agentflow.egress import EgressPolicy, guarded_client
from agentflow.kit.fastread import PoolReader
from agentflow.secrets.store import SecretStore
from agentflow.webhooks_out.delivery import CONCURRENCY, Deliverer
from agentflow.webhooks_out.runner import run_deliveries


@flow(name="webhook-delivery", persist_result=False, log_prints=False)
async def webhook_delivery(seconds: float | None = None) -> dict[str, Any]:
    """Send due deliveries and keep listening for `seconds` (the setting by default)."""
    settings = get_settings()
    engine = create_engine(settings)
    reader = await PoolReader.connect(settings.database_url, max_size=4)
    store = SecretStore.from_settings(settings)
    try:
        async with guarded_client(EgressPolicy.from_settings(settings), max_connections=CONCURRENCY) as http:
            deliverer = Deliverer(reader, store, http, settings, sessions=create_sessionmaker(engine))
            report = await run_deliveries(
                deliverer,
                settings.database_url,
                seconds=seconds if seconds is not None else settings.webhook_delivery_run_seconds,
            )
    finally:
        store.close()
        await reader.close()
        await engine.dispose()
    return {"attempted": report.attempted, "listened": report.listened}
