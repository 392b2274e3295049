"""Turning pending exports into flow runs, after the request that recorded them committed (the worker must
find the row). An export whose dispatch failed (Prefect down) stays `pending` without a flow run; every
worker's sweeper dispatches it again (`dispatch_stranded`), and the idempotency key makes that one run."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import text

from agentflow.engine.gateway import PrefectGateway
from agentflow.kit.fastread import FastReader, compile_query

logger = logging.getLogger("agentflow.exports")

_PENDING = compile_query(
    text(
        """
        SELECT e.id, e.org_id, e.kind, o.slug AS org_slug
        FROM exports e JOIN organizations o ON o.id = e.org_id
        WHERE e.id = :export_id AND e.status = 'pending' AND e.flow_run_id IS NULL
        """
    )
)
_SET_RUN = compile_query(
    text("UPDATE exports SET flow_run_id = :flow_run_id WHERE id = :export_id AND flow_run_id IS NULL")
)
_STRANDED = compile_query(
    text(
        """
        SELECT id FROM exports
        WHERE status = 'pending' AND flow_run_id IS NULL
          AND updated_at < clock_timestamp() - make_interval(secs => :age)
        ORDER BY updated_at LIMIT 100
        """
    )
)


class ExportDispatcher:
    def __init__(self, gateway: PrefectGateway, db: FastReader) -> None:
        self.gateway = gateway
        self.db = db

    async def dispatch(self, export_ids: Sequence[uuid.UUID]) -> None:
        """One flow run per pending export; failures are logged and left to the sweeper."""
        for export_id in export_ids:
            try:
                row = await self.db.fetchrow(_PENDING, export_id=export_id)
                if row is None:
                    continue
                run_id = await self.gateway.create_export_run(
                    export_id=export_id, org_id=row["org_id"], org_slug=row["org_slug"], kind=row["kind"]
                )
                await self.db.execute(_SET_RUN, flow_run_id=run_id, export_id=export_id)
            except Exception:
                logger.exception("could not start export %s", export_id)

    async def dispatch_stranded(self, *, age_seconds: float = 30.0) -> int:
        """Exports pending longer than `age_seconds` without a flow run; returns how many were found."""
        rows = await self.db.fetch(_STRANDED, age=age_seconds)
        await self.dispatch([row["id"] for row in rows])
        return len(rows)
