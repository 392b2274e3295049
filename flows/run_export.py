"""`run_export`: one flow run per data export (agentflow/exports/runner.py): the file, then the requester's
notification with its download link, mailed right after the commit."""

from __future__ import annotations

import uuid
from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.flows import Flow

from agentflow.config import get_settings
from agentflow.db import create_engine, create_sessionmaker
from agentflow.engine.worker.mail import mail_notifications
from agentflow.engine.worker.store import engine_store
from agentflow.exports.runner import fail_runs
from agentflow.exports.runner import run_export as make_export
from agentflow.exports.storage import export_store


def _on_ended(message: str) -> Any:
    async def hook(flow: Flow[Any, Any], flow_run: Any, state: State[Any]) -> None:
        engine = create_engine(get_settings())
        try:
            await fail_runs(create_sessionmaker(engine), [flow_run.id], message)
        finally:
            await engine.dispose()

    return hook


@flow(
    name="export-data",
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
    on_crashed=[_on_ended("The export stopped unexpectedly (the worker went away); request it again")],
    on_cancellation=[_on_ended("The export was cancelled; request it again")],
)
async def run_export(export_id: str) -> dict[str, Any]:
    """Write one export's file. The export lives in AgentFlow's database; the run carries only its id."""
    settings = get_settings()
    context = FlowRunContext.get()
    flow_run_id = context.flow_run.id if context and context.flow_run else None
    engine = create_engine(settings)
    try:
        outcome = await make_export(
            create_sessionmaker(engine),
            settings,
            export_store(settings),
            uuid.UUID(export_id),
            flow_run_id=flow_run_id,
        )
    finally:
        await engine.dispose()
    if outcome is None:
        return {"export_id": export_id, "skipped": "already done, or deleted"}
    await mail_notifications((await engine_store()).db, outcome.notifications)
    return {"export_id": export_id, "status": outcome.status.value, "rows": outcome.row_count}
