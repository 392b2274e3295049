"""Agents as MCP tools: the tool list of an org, and a tool call that starts the agent and waits for it.

A call starts the execution through `trigger_service.start` (the one way executions are created), so it is
held to the same rules as `POST /agents/{id}/execute`: the agent must be active and published, and the
input must match the trigger's `input_schema`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents import access
from agentflow.auth.subject import AuthSubject
from agentflow.billing.limits import PlanLimits
from agentflow.engine.control.hub import EventHub
from agentflow.errors import NotFound, PayloadTooLarge
from agentflow.executions.triggers import Triggered, trigger_config, trigger_service
from agentflow.kit.fastread import FastReader
from agentflow.mcp_server.repository import McpToolRepository, Outcome, outcome
from agentflow.models import Agent, TriggeredBy
from agentflow.models.execution import FINAL_STATUSES
from agentflow.rbac import Permission

# MCP clients accept tool names of [A-Za-z0-9_.-]{1,128}; some (Claude Desktop) only up to 64.
_NAME_LIMIT = 64
_NOT_NAME = re.compile(r"[^a-z0-9]+")
# Re-read the execution at least this often while waiting, in case a notification was missed.
_POLL_SECONDS = 1.0
OBJECT_SCHEMA: dict[str, Any] = {"type": "object"}
# Agents whose run input is the caller's input as it is. A webhook or event trigger's input is an HTTP
# request (`{body, headers, query}`) and a schedule's a time: tool arguments are neither.
TOOL_TRIGGER_KINDS = frozenset({"manual", "api"})


@dataclass(frozen=True)
class AgentTool:
    name: str
    description: str
    input_schema: dict[str, Any]
    agent: Agent


@dataclass(frozen=True)
class CallOutcome:
    """What a tool call came to: the execution, and its outcome if it ended within the wait."""

    execution_id: uuid.UUID
    status: str
    finished: bool
    output: Any = None
    error: str | None = None


def tool_slug(name: str) -> str:
    """The agent's name as a tool name: lower case, runs of anything else turned into one underscore."""
    slug = _NOT_NAME.sub("_", name.lower()).strip("_")[: _NAME_LIMIT - 9].strip("_")
    return slug or "agent"


def _input_schema(definition: dict[str, Any]) -> dict[str, Any]:
    """The trigger's input_schema when it describes an object (tool arguments always are one)."""
    schema = trigger_config(definition).get("input_schema")
    if isinstance(schema, dict) and schema.get("type") == "object":
        return schema
    return dict(OBJECT_SCHEMA)


def _description(agent: Agent, definition: dict[str, Any]) -> str:
    settings = definition.get("settings") or {}
    described = settings.get("tool_description") or agent.description
    return str(described or f"Runs the AgentFlow agent {agent.name!r} and returns its output.")


class McpToolService:
    async def list_tools(self, session: AsyncSession, *, subject: AuthSubject) -> list[AgentTool]:
        """The caller's org's exposed agents they may read as tools, each with a name unique within the
        org (restricted agents they may not read are not there: names are chosen as they see the list)."""
        subject.require(Permission.agents_read)
        exposed = await McpToolRepository(session).exposed_agents(subject.org_id, access.visible(subject))
        taken: set[str] = set()
        tools: list[AgentTool] = []
        for item in exposed:
            if trigger_config(item.definition).get("kind", "manual") not in TOOL_TRIGGER_KINDS:
                continue
            name = tool_slug(item.agent.name)
            if name in taken:  # a newer agent with an older one's name: told apart by its id
                name = f"{name}_{item.agent.id.hex[:8]}"
            taken.add(name)
            tools.append(
                AgentTool(
                    name=name,
                    description=_description(item.agent, item.definition),
                    input_schema=_input_schema(item.definition),
                    agent=item.agent,
                )
            )
        return tools

    async def start_call(
        self,
        session: AsyncSession,
        *,
        subject: AuthSubject,
        name: str,
        arguments: dict[str, Any] | None,
        max_input_bytes: int,
        limits: PlanLimits,
    ) -> Triggered:
        """Record the execution a tool call asks for (dispatch follows the commit); nothing is recorded
        when the tool is unknown, the input too large, not what the trigger's input_schema asks, or the
        plan allows no more executions."""
        subject.require(Permission.agents_execute)
        input = arguments or {}
        size = len(orjson.dumps(input))
        if size > max_input_bytes:
            raise PayloadTooLarge(
                f"The tool input is {size} bytes as JSON; at most {max_input_bytes} are accepted",
                code="input_too_large",
            )
        tools = {tool.name: tool for tool in await self.list_tools(session, subject=subject)}
        tool = tools.get(name)
        if tool is None:
            raise NotFound(
                f"No tool named {name!r}: list the tools to see the current names", code="unknown_tool"
            )
        await access.check(
            session,
            subject=subject,
            agent_id=tool.agent.id,
            permission=Permission.agents_execute,
            missing=NotFound(f"No tool named {name!r}", code="unknown_tool"),
        )
        return await trigger_service.start(
            session,
            limits=limits,
            agent=tool.agent,
            triggered_by=TriggeredBy.api,
            input=input,
            user_id=subject.user_id,
        )

    async def wait(
        self,
        reader: FastReader,
        hub: EventHub | None,
        *,
        org_id: uuid.UUID,
        execution_id: uuid.UUID,
        seconds: float,
    ) -> CallOutcome:
        """The execution's outcome once it ends, or its status when `seconds` pass first. Woken by the
        execution's step events; re-read every second regardless."""
        deadline = time.monotonic() + seconds
        wake = hub.watch(str(execution_id)) if hub is not None else None
        try:
            while True:
                found = await outcome(reader, org_id=org_id, execution_id=execution_id)
                if found is None:  # the agent was deleted meanwhile, and its executions with it
                    return CallOutcome(
                        execution_id, "cancelled", finished=True, error="The agent was deleted"
                    )
                left = deadline - time.monotonic()
                if found.status in FINAL_STATUSES or left <= 0:
                    return _call_outcome(execution_id, found)
                await _sleep_or_wake(wake, min(left, _POLL_SECONDS))
        finally:
            if hub is not None and wake is not None:
                hub.unwatch(str(execution_id), wake)


async def _sleep_or_wake(wake: asyncio.Queue[None] | None, seconds: float) -> None:
    if wake is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.get(), timeout=seconds)
    while not wake.empty():  # one re-read answers every event that arrived meanwhile
        wake.get_nowait()


def _call_outcome(execution_id: uuid.UUID, found: Outcome) -> CallOutcome:
    return CallOutcome(
        execution_id=execution_id,
        status=found.status,
        finished=found.status in FINAL_STATUSES,
        output=found.output,
        error=found.error,
    )


mcp_tool_service = McpToolService()
