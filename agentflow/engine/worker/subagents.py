"""Agent tools: another published agent of the organization run as a sub-execution of an AI step.

The execution is created through executions/triggers.py (`triggered_by: agent`, keyed by the parent
execution and the child step, so a re-run of the parent's step finds the one it started) and runs here, in
the parent's worker, as a Prefect subflow of the parent's flow run: it needs no free worker slot (a parent
waiting on a dispatched run could starve the pool) and Prefect's UI shows it under the parent. Its own
timeout applies, its output is the tool's result, its cost the child step's cost.

Guards: an agent of another organization (or one never published) is "unknown agent"; an agent already in
the chain of callers (A calls B calls A) and chains deeper than MAX_DEPTH are refused; an agent that can
wait for a human (an approval node, an AI tool that needs approval) cannot run as a tool, since a subflow
cannot suspend on its own.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from typing import Any

from prefect import flow
from sqlalchemy import text

from agentflow.executions.triggers import ToolAgent, tool_agent, trigger_config, trigger_service
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.nodes.context import AgentNotFound, ChildResult, ToolDescription
from agentflow.nodes.errors import PermanentStepError, StepError

logger = logging.getLogger("agentflow.engine")
MAX_DEPTH = 3
# The agents of the executions that called this one, outermost first (set while a sub-execution runs).
_CALLERS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("agent_tool_callers", default=())
_RESULT = compile_query(
    text(
        """
        SELECT status, output, error, total_tokens, total_cost_usd FROM executions
        WHERE id = :execution_id AND org_id = :org_id
        """
    )
)


def _waits_for_people(definition: dict[str, Any]) -> bool:
    for node in definition.get("nodes", []):
        if node.get("type") == "human.approval":
            return True
        if node.get("type") == "ai" and (node.get("config") or {}).get("require_approval_for"):
            return True
    return False


@flow(name="agent-tool", persist_result=False, validate_parameters=False, log_prints=False)
async def agent_tool_run(execution_id: str, callers: list[str]) -> dict[str, Any]:
    """The sub-execution, as a subflow of the calling agent's flow run."""
    from agentflow.engine.worker.entry import run_execution  # entry builds the runtime this module serves

    _CALLERS.set(tuple(callers))
    return await run_execution(uuid.UUID(execution_id))


class SubAgents:
    """`AgentRuns` for one execution (the worker binds it per step with `for_step`)."""

    def __init__(self, db: FastReader, *, agent_id: uuid.UUID, execution_id: uuid.UUID, step_key: str = ""):
        self.db = db
        self.agent_id, self.execution_id, self.step_key = agent_id, execution_id, step_key

    def for_step(self, step_key: str) -> SubAgents:
        return SubAgents(self.db, agent_id=self.agent_id, execution_id=self.execution_id, step_key=step_key)

    async def _agent(self, org_id: uuid.UUID, agent_id: str) -> ToolAgent:
        agent = await tool_agent(self.db, org_id, agent_id)
        if agent is None:
            raise AgentNotFound(f"unknown agent {agent_id!r}")
        return agent

    async def describe(self, org_id: uuid.UUID, agent_id: str) -> ToolDescription:
        agent = await self._agent(org_id, agent_id)
        schema = trigger_config(agent.definition).get("input_schema") or {"type": "object", "properties": {}}
        return ToolDescription(
            name=agent.name,
            description=agent.description or f"Runs the agent {agent.name}",
            parameters=schema,
        )

    async def run(
        self, org_id: uuid.UUID, agent_id: str, input: Any, *, parent: uuid.UUID, key: str = ""
    ) -> ChildResult:
        try:
            agent = await self._agent(org_id, agent_id)
        except AgentNotFound as exc:
            raise PermanentStepError(str(exc), code="unknown_agent") from None
        callers = _CALLERS.get() or (str(self.agent_id),)
        if str(agent.id) in callers:
            raise PermanentStepError(
                f"agent {agent.name!r} is already running in this chain of agent calls", code="agent_cycle"
            )
        if len(callers) >= MAX_DEPTH:
            raise PermanentStepError(f"agent calls nest at most {MAX_DEPTH} deep", code="agent_depth")
        if _waits_for_people(agent.definition):
            raise PermanentStepError(
                f"agent {agent.name!r} can wait for an approval, so it cannot run as a tool",
                code="agent_waits",
            )
        execution_id = await trigger_service.sub_agent(
            self.db, agent=agent, input=input, idempotency_key=f"tool:{parent}:{self.step_key}/{key}"[:200]
        )
        try:
            await agent_tool_run(str(execution_id), [*callers, str(agent.id)])
        except StepError:
            raise
        except Exception as exc:  # a failed run raises to fail its flow run; the row says how it ended
            logger.info("agent tool execution %s ended with %s", execution_id, type(exc).__name__)
        row = await self.db.fetchrow(_RESULT, execution_id=execution_id, org_id=org_id)
        assert row is not None
        if row["status"] != "completed":
            raise PermanentStepError(
                f"agent {agent.name!r} ended {row['status']}: {row['error'] or 'no error recorded'}",
                code="agent_failed",
            )
        return ChildResult(
            output={"execution_id": str(execution_id), "output": row["output"]},
            tokens=int(row["total_tokens"] or 0),
            cost_usd=float(row["total_cost_usd"] or 0),
        )
