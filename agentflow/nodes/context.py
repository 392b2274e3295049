"""What a node handler gets and returns."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from agentflow.nodes.base import DEFAULT_HANDLE, NodeBase
from agentflow.providers.router import Router


@dataclass(frozen=True)
class NodeResult:
    """A node's output and the output handles whose edges are taken."""

    output: Any
    handles: tuple[str, ...] = (DEFAULT_HANDLE,)
    tokens: int = 0
    cost_usd: float = 0.0


class KnowledgeNotFound(LookupError):
    """The knowledge base is not one of the organization's (or no longer exists)."""


class KnowledgeSearch(Protocol):
    """Retrieval from the organization's knowledge bases (agentflow/knowledge, given by the engine)."""

    async def retrieve(
        self,
        org_id: uuid.UUID,
        knowledge_base_id: str,
        query: str,
        *,
        top_k: int,
        mode: str,
        metadata: dict[str, Any],
        document_ids: list[str],
        min_score: float | None,
    ) -> list[dict[str, Any]]:
        """Chunks `{content, score, document_id, document_name, page, heading, metadata}`, best first;
        raises KnowledgeNotFound."""
        ...


@dataclass(frozen=True)
class ToolDescription:
    """An integration action (or an MCP server's tool) as an AI model sees it."""

    name: str
    description: str
    parameters: dict[str, Any]  # JSON Schema of the arguments
    side_effect: bool = True


class IntegrationCalls(Protocol):
    """Actions of the organization's connected integrations (agentflow/integrations, given by the engine).
    The credentials are read from Vault only for the call; failures are StepErrors (429/5xx transient)."""

    async def run_action(
        self,
        org_id: uuid.UUID,
        *,
        integration: str | None,
        connection_id: str | None,
        action: str,
        params: dict[str, Any],
        preview: bool,
    ) -> Any:
        """The action's result; in a preview, a side-effecting action returns `{preview: true, request}`.
        `integration` None means: whatever provider the connection is."""
        ...

    async def describe(self, org_id: uuid.UUID, *, connection_id: str, action: str) -> ToolDescription:
        """The action's name, description and params schema; PermanentStepError when unknown."""
        ...


@dataclass(frozen=True)
class ChildResult:
    """What a child step's work may return instead of a bare output: the output and what it cost (a
    sub-agent's run); the cost goes on the child step's record."""

    output: Any
    tokens: int = 0
    cost_usd: float = 0.0


class ApprovalPending(Exception):
    """A tool call waits for a human decision: the step ends waiting, the run suspends until the decision
    is recorded, then the step runs again (replaying what it recorded). Never retried, never a failure."""

    retryable = False

    def __init__(self, waiting_for: dict[str, Any]) -> None:
        super().__init__(f"waiting for approval of {waiting_for.get('tool')!r}")
        self.waiting_for = waiting_for
        # What the step spent before it stopped (set by the AI node, recorded on its step).
        self.tokens = 0
        self.cost_usd = 0.0
        self.output: Any = None


class RunChild(Protocol):
    """Runs `call` as a child step of the current step, recorded under `{step_key}/{key}`: its input,
    output, attempts and time, with step events for the live view. Transient failures are retried with the
    node's retry policy when `retry`; a completed child with the same key and input (a re-run of the step)
    returns its recorded output without running again."""

    async def __call__(
        self,
        key: str,
        *,
        node_type: str,
        name: str,
        input: Any,
        call: Callable[[], Awaitable[Any]],
        retry: bool = True,
    ) -> Any: ...


class RequestApproval(Protocol):
    """The decision on a tool call (`{approved, comment, by, at, timed_out}`), recorded as the child step
    `{step_key}/{key}`; raises ApprovalPending while nobody has decided."""

    async def __call__(
        self, key: str, *, tool: str, arguments: dict[str, Any], timeout_seconds: int
    ) -> dict[str, Any]: ...


class AgentNotFound(LookupError):
    """The agent is not one of the organization's published agents."""


class AgentRuns(Protocol):
    """Other agents of the organization run as sub-executions (the AI node's agent tools)."""

    async def describe(self, org_id: uuid.UUID, agent_id: str) -> ToolDescription:
        """Name, description and the trigger's input schema; raises AgentNotFound."""
        ...

    async def run(
        self, org_id: uuid.UUID, agent_id: str, input: Any, *, parent: uuid.UUID, key: str = ""
    ) -> ChildResult:
        """Run the agent to its end (`key`: the calling child step's); its output and cost. StepError
        when it cannot run or fails (an unknown agent: code `unknown_agent`)."""
        ...


@dataclass
class NodeContext:
    """Everything a handler may use besides its rendered config."""

    execution_id: uuid.UUID
    org_id: uuid.UUID
    http: httpx.AsyncClient  # guarded by the egress policy (agentflow/egress): use it for every call
    # The worker's AI router (one per process: it caches provider clients); None where no AI node runs.
    router: Router | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    trigger_input: Any = None
    # Test runs: side-effecting actions describe what they would do instead of doing it.
    preview: bool = False
    # Set by the engine: runs a loop's body once per item and returns each iteration's result.
    run_loop_body: Callable[[str, list[Any]], Awaitable[list[Any]]] | None = None
    # The organization's knowledge bases (the knowledge.retrieve node); None where none are reachable.
    knowledge: KnowledgeSearch | None = None
    # The organization's connected integrations (action.integration, AI tools); None where none are reachable.
    integrations: IntegrationCalls | None = None
    # Set by the engine for AI steps: each tool call and model round is a recorded child step.
    run_child: RunChild | None = None
    # Set by the engine for AI steps: approvals before a side-effecting tool call.
    request_approval: RequestApproval | None = None
    # Other agents of the organization (AI agent tools); None where none can run.
    agents: AgentRuns | None = None


class NodeHandler(Protocol):
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult: ...
