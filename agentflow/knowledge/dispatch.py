"""Turning queued documents into ingestion flow runs, after the request that queued them committed (the
worker must find the row). A document whose dispatch failed (Prefect down) stays `queued` with no flow run;
the worker's sweeper dispatches it again (see `stranded`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import text

from agentflow.engine.gateway import PrefectGateway
from agentflow.kit.fastread import FastReader, compile_query

logger = logging.getLogger("agentflow.knowledge")

_PENDING = compile_query(
    text(
        """
        SELECT d.id, d.org_id, d.name, d.updated_at, k.name AS kb_name, o.slug AS org_slug
        FROM knowledge_documents d JOIN knowledge_bases k ON k.id = d.knowledge_base_id
        JOIN organizations o ON o.id = d.org_id
        WHERE d.id = :document_id AND d.status = 'queued' AND d.flow_run_id IS NULL
        """
    )
)
_SET_RUN = compile_query(
    text(
        """
        UPDATE knowledge_documents SET flow_run_id = :flow_run_id
        WHERE id = :document_id AND flow_run_id IS NULL
        """
    )
)
_STRANDED = compile_query(
    text(
        """
        SELECT id FROM knowledge_documents
        WHERE status = 'queued' AND flow_run_id IS NULL
          AND updated_at < clock_timestamp() - make_interval(secs => :age)
        ORDER BY updated_at LIMIT 100
        """
    )
)


class IngestionDispatcher:
    def __init__(self, gateway: PrefectGateway, db: FastReader) -> None:
        self.gateway = gateway
        self.db = db

    async def dispatch(self, document_ids: Sequence[uuid.UUID]) -> None:
        """One flow run per queued document; failures are logged and left to the sweeper."""
        for document_id in document_ids:
            try:
                row = await self.db.fetchrow(_PENDING, document_id=document_id)
                if row is None:
                    continue
                run_id = await self.gateway.create_ingestion_run(
                    document_id=document_id,
                    org_id=row["org_id"],
                    org_slug=row["org_slug"],
                    name=f"{row['name']} · {row['kb_name']}",
                    # Two sweepers finding the same stranded document make one run; a re-index (a new
                    # updated_at) makes a new one.
                    idempotency_key=f"ingest:{document_id}:{row['updated_at'].isoformat()}",
                )
                await self.db.execute(_SET_RUN, flow_run_id=run_id, document_id=document_id)
            except Exception:
                logger.exception("could not start the ingestion of document %s", document_id)

    async def dispatch_stranded(self, *, age_seconds: float = 30.0) -> int:
        """Documents queued longer than `age_seconds` without a flow run; returns how many were found."""
        rows = await self.db.fetch(_STRANDED, age=age_seconds)
        await self.dispatch([row["id"] for row in rows])
        return len(rows)
