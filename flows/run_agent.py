"""`run_agent`: the one flow every published agent (and every test run) executes as."""

from __future__ import annotations

import uuid
from typing import Any

from prefect import flow

import blocks.vault  # noqa: F401 - registers the Vault block type a worker without VAULT_ADDR loads
from agentflow.engine.worker.entry import (
    on_cancellation,
    on_crashed,
    on_failure,
    run_execution,
    run_scheduled,
)


@flow(
    name="run-agent",
    persist_result=False,
    validate_parameters=False,
    log_prints=False,
    on_crashed=[on_crashed],
    on_failure=[on_failure],
    on_cancellation=[on_cancellation],
)
async def run_agent(
    execution_id: str | None = None, version_id: str | None = None, agent_id: str | None = None
) -> dict[str, Any]:
    """Run one execution. Its input, definition and results live in AgentFlow's database, not in Prefect's
    (a webhook body can be private). Runs created by the deployment's schedule carry no execution id:
    the execution is created here from `agent_id` and `version_id`."""
    if execution_id is None:
        assert agent_id and version_id, "scheduled runs carry the agent and version"
        return await run_scheduled(uuid.UUID(agent_id), uuid.UUID(version_id))
    return await run_execution(
        uuid.UUID(execution_id),
        agent_id=uuid.UUID(agent_id) if agent_id else None,
        version_id=uuid.UUID(version_id) if version_id else None,
    )
