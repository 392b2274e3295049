"""Starting an agent: the only code that creates executions, for every source.

- `start`: people and scripts (API execute, manual, test runs, retry from the start), on the request's
  session: the row commits with the request and dispatch to Prefect follows.
- `webhook`: the webhook front door, on the fast reader (the row commits at once); Slack and GitHub events
  arrive there too (`integration_events.py`).
- `schedule`: a flow run the deployment's cron schedule created, from the worker, on the fast reader.
- `sub_agent`: another agent's AI step running this one as a tool, from the worker, on the fast reader.

Each applies the same rules (`refusal`, `check_input`, `trigger_config`, then the plan's executions limit:
402 for people and scripts, 429 for a webhook, a schedule just does not run; test runs and agent tools are
neither counted nor refused) and records the row through the one INSERT in repository.py.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.agents import access, definitions
from agentflow.agents.publish_checks import agent_tool_ids
from agentflow.agents.repository import AgentVersionRepository
from agentflow.auth.subject import AuthSubject
from agentflow.billing.limits import PlanLimits
from agentflow.billing.plans import LimitName
from agentflow.errors import Conflict, NotFound, PlanLimitReached, ValidationFailed
from agentflow.executions import integration_events, webhooks
from agentflow.executions.fast_repository import FastExecutionRepository, WebhookAgent
from agentflow.executions.repository import ExecutionRepository, NewExecution
from agentflow.executions.webhooks import WebhookRequest
from agentflow.graph import AgentDefinition, parse_definition
from agentflow.graph.errors import DefinitionError
from agentflow.kit.fastread import FastReader, compile_query
from agentflow.models import Agent, AgentStatus, ExecutionStatus, TriggeredBy
from agentflow.nodes.errors import StepError
from agentflow.nodes.trigger.handler import check_input as check_trigger_input
from agentflow.rbac import Permission
from agentflow.secrets.store import SecretStore

logger = logging.getLogger("agentflow.executions")


@dataclass(frozen=True)
class Triggered:
    """The execution a trigger recorded, or found: `created` is False for a repeated idempotency key."""

    id: uuid.UUID
    agent_id: uuid.UUID
    status: str
    created: bool

    @classmethod
    def new(cls, execution_id: uuid.UUID, agent_id: uuid.UUID) -> Triggered:
        return cls(id=execution_id, agent_id=agent_id, status=ExecutionStatus.queued, created=True)


@dataclass(frozen=True)
class _WhatRuns:
    definition: dict[str, Any]
    version_id: uuid.UUID | None  # a published version
    frozen: dict[str, Any] | None  # or a test run's own definition


def trigger_config(definition: dict[str, Any]) -> dict[str, Any]:
    """The trigger node's config in a stored definition ({} without one)."""
    for node in definition.get("nodes", []):
        if node.get("type") == "trigger":
            config: dict[str, Any] = node.get("config") or {}
            return config
    return {}


def refusal(status: str, *, published: bool, source: TriggeredBy) -> Conflict | None:
    """Why `source` may not start an agent in this state now (None: it may). Test runs run the draft, so
    only archiving stops them; everything else needs a published agent that is switched on."""
    if status == AgentStatus.archived:
        return Conflict("This agent is archived", code="agent_archived")
    if source == TriggeredBy.test:
        return None
    if not published:
        return Conflict("Publish the agent before running it (or use a test run)", code="not_published")
    if status != AgentStatus.active:
        return Conflict("This agent is paused: set its status to active to run it", code="agent_paused")
    return None


def check_test_options(definition: dict[str, Any], options: dict[str, Any], source: TriggeredBy) -> None:
    """422 `unknown_test_node` for an option naming no node of the definition (a typo would silently send
    or preview the wrong thing); options belong to test runs only."""
    if source != TriggeredBy.test:
        raise ValidationFailed("Per-node test options apply to test runs only", code="invalid_input")
    ids = {node.get("id") for node in definition.get("nodes", []) if isinstance(node, dict)}
    unknown = sorted(node_id for node_id in options if node_id not in ids)
    if unknown:
        raise ValidationFailed(
            f"The test options name {', '.join(repr(n) for n in unknown)}, which "
            f"{'is not a node' if len(unknown) == 1 else 'are not nodes'} of this agent",
            code="unknown_test_node",
            details={"nodes": unknown},
        )


def check_input(trigger: dict[str, Any], value: Any) -> None:
    """422 `invalid_input` unless `value` matches the trigger's input_schema (for a webhook: the body)."""
    try:
        check_trigger_input(trigger.get("input_schema"), value)
    except StepError as exc:
        raise ValidationFailed(exc.message, code="invalid_input") from exc


class TriggerService:
    async def start(
        self,
        session: AsyncSession,
        *,
        limits: PlanLimits,
        agent: Agent,
        triggered_by: TriggeredBy,
        input: Any,
        user_id: uuid.UUID | None,
        idempotency_key: str | None = None,
        test_definition: dict[str, Any] | None = None,
        caller: AuthSubject | None = None,
        test_options: dict[str, Any] | None = None,
    ) -> Triggered:
        """Record a queued execution of the agent (dispatch to Prefect follows the commit); a repeated
        idempotency key returns the first execution instead. 402 `plan_limit_reached` when the plan allows
        no more executions this period (test runs are not counted and never refused)."""
        repo = ExecutionRepository(session)
        earlier = await self._earlier(repo, agent.org_id, agent.id, idempotency_key)
        if earlier is not None:
            return earlier
        refused = refusal(agent.status, published=agent.current_version is not None, source=triggered_by)
        if refused is not None:
            raise refused
        runs = await self._what_runs(session, agent, triggered_by, test_definition, caller)
        trigger = trigger_config(runs.definition)
        check_input(trigger, _schema_subject(input, triggered_by, trigger))
        if test_options:
            check_test_options(runs.definition, test_options, triggered_by)
        if triggered_by != TriggeredBy.test:
            await limits.check(session, org_id=agent.org_id, limit=LimitName.executions)
        new = NewExecution(
            org_id=agent.org_id,
            agent_id=agent.id,
            triggered_by=triggered_by,
            input=input,
            version_id=runs.version_id,
            definition=runs.frozen,
            user_id=user_id,
            idempotency_key=idempotency_key,
            test_options=test_options or None,
        )
        return await self._record(repo, new)

    async def rerun(
        self, session: AsyncSession, *, limits: PlanLimits, subject: AuthSubject, execution_id: uuid.UUID
    ) -> Triggered:
        """A new execution with an earlier one's input, of the agent's current version (a test run re-runs
        its own definition); a scheduled run's re-run counts as manual."""
        previous = await ExecutionRepository(session).get_reachable(
            subject.org_id, execution_id, access.visible_agent_ids(subject)
        )
        if previous is None:
            raise NotFound.resource("Execution", execution_id)
        # An execution goes when its agent does (ON DELETE CASCADE); running it again needs agents:execute.
        agent = await access.load(
            session, subject=subject, agent_id=previous.agent_id, permission=Permission.agents_execute
        )
        source = TriggeredBy(previous.triggered_by)
        return await self.start(
            session,
            limits=limits,
            agent=agent,
            triggered_by=TriggeredBy.manual if source == TriggeredBy.schedule else source,
            input=previous.input,
            user_id=subject.user_id,
            test_definition=previous.definition,
            caller=subject,
            test_options=previous.test_options if source == TriggeredBy.test else None,
        )

    async def _record(self, repo: ExecutionRepository, new: NewExecution) -> Triggered:
        """Insert the row; when a concurrent request with the same key won, answer with its execution."""
        execution_id = await repo.insert_queued(new)
        if execution_id is not None:
            return Triggered.new(execution_id, new.agent_id)
        earlier = await self._earlier(repo, new.org_id, new.agent_id, new.idempotency_key)
        assert earlier is not None, "only a repeated idempotency key conflicts"
        return earlier

    async def _earlier(
        self, repo: ExecutionRepository, org_id: uuid.UUID, agent_id: uuid.UUID, key: str | None
    ) -> Triggered | None:
        """The execution already recorded with this idempotency key, if any."""
        if not key:
            return None
        existing = await repo.by_idempotency_key(org_id, agent_id, key)
        if existing is None:
            return None
        return Triggered(id=existing.id, agent_id=agent_id, status=existing.status, created=False)

    async def _what_runs(
        self,
        session: AsyncSession,
        agent: Agent,
        triggered_by: TriggeredBy,
        test_definition: dict[str, Any] | None,
        caller: AuthSubject | None,
    ) -> _WhatRuns:
        """A test run: the given definition or the draft, frozen into the execution. Anything else: the
        current version."""
        if triggered_by == TriggeredBy.test:
            definition = test_definition if test_definition is not None else agent.draft_definition
            definitions.check_size(definition)  # a test run is held to what a saved draft may be
            try:
                defn = parse_definition(definition)
            except DefinitionError as exc:
                raise ValidationFailed("The definition to test is not valid", details=exc.issues) from exc
            if caller is not None:  # a test run calls agent tools for real: only those the caller may run
                await _require_runnable_tools(session, caller, defn)
            return _WhatRuns(definition=definition, version_id=None, frozen=definition)
        assert agent.current_version is not None  # refusal() answered not_published
        version = await AgentVersionRepository(session).get_number(
            agent.org_id, agent.id, agent.current_version
        )
        assert version is not None
        return _WhatRuns(definition=version.definition, version_id=version.id, frozen=None)

    async def webhook(
        self, db: FastReader, secrets: SecretStore, request: WebhookRequest, *, limits: PlanLimits
    ) -> Triggered | integration_events.Answer:
        """A delivery to a webhook URL: 404 unless it is a live webhook, 401 unless signed when the trigger
        asks for it, 422 unless the body matches the input_schema, 429 `plan_limit_reached` over the plan's
        executions, 409 for a replayed delivery, 403 from outside the trigger's `allowed_ips`.
        A Slack or GitHub event that starts no run (challenge, ping,
        filtered out, repeated) gets its `Answer`. A refused delivery records nothing."""
        repo = FastExecutionRepository(db)
        agent, trigger = await self._live_webhook(repo, request.token)
        webhooks.check_origin(trigger, request)
        if trigger.get("kind") == "integration":
            return await self._integration_event(repo, secrets, limits, agent, trigger, request)
        delivery_id = await webhooks.check_signature(secrets, agent.org_id, trigger, request)
        body = await request.parse_body()  # only now: an unauthenticated body is never parsed
        check_input(trigger, body)
        await self._delivery_within_plan(db, limits, agent)
        if delivery_id is not None:
            await webhooks.claim_delivery(repo, agent.org_id, agent.id, delivery_id)
        new = NewExecution(
            org_id=agent.org_id,
            agent_id=agent.id,
            triggered_by=TriggeredBy.webhook,
            input=webhooks.run_input(body, request),
            version_id=agent.version_id,
            idempotency_key=request.idempotency_key,
        )
        return await self._insert_delivered(repo, new)

    async def _integration_event(
        self,
        repo: FastExecutionRepository,
        secrets: SecretStore,
        limits: PlanLimits,
        agent: WebhookAgent,
        trigger: dict[str, Any],
        request: WebhookRequest,
    ) -> Triggered | integration_events.Answer:
        """A Slack or GitHub event: verified with the provider's signature, filtered by the trigger's
        `event`, run once however often the provider repeats it."""
        secret = await webhooks.signing_secret(secrets, agent.org_id, trigger.get("signing_secret"))
        event = await integration_events.receive(trigger, request, secret)
        if isinstance(event, integration_events.Answer):
            return event
        check_input(trigger, event.body)
        await self._delivery_within_plan(repo.db, limits, agent)
        if not await repo.claim_delivery(
            agent.org_id, agent.id, event.delivery_id, keep_seconds=event.keep_seconds
        ):
            return integration_events.DUPLICATE  # a retry: answered as fine, or the provider retries again
        new = NewExecution(
            org_id=agent.org_id,
            agent_id=agent.id,
            triggered_by=TriggeredBy.webhook,
            input=webhooks.run_input(event.body, request),
            version_id=agent.version_id,
            idempotency_key=request.idempotency_key,
        )
        return await self._insert_delivered(repo, new)

    async def _delivery_within_plan(self, db: FastReader, limits: PlanLimits, agent: WebhookAgent) -> None:
        """429 `plan_limit_reached` (before anything is recorded) when the plan allows no more executions:
        a sender retries on 429, and the run happens once the org has room again."""
        try:
            await limits.check_execution_fast(
                db, org_id=agent.org_id, stored_plan=agent.plan, subscription=agent.subscription
            )
        except PlanLimitReached as refused:
            raise refused.for_webhook() from None

    async def _insert_delivered(self, repo: FastExecutionRepository, new: NewExecution) -> Triggered:
        """Insert a delivery's execution; a repeated Idempotency-Key finds the first one."""
        execution_id = await repo.insert_queued(new)
        if execution_id is not None:
            return Triggered.new(execution_id, new.agent_id)
        assert new.idempotency_key is not None, "only a repeated Idempotency-Key conflicts"
        earlier = await repo.id_by_idempotency_key(new.agent_id, new.idempotency_key)
        assert earlier is not None
        # Answered as queued, like a new one: the fast path does not read the earlier one's state.
        return Triggered(id=earlier, agent_id=new.agent_id, status=ExecutionStatus.queued, created=False)

    async def _live_webhook(
        self, repo: FastExecutionRepository, token: str
    ) -> tuple[WebhookAgent, dict[str, Any]]:
        """The agent behind the URL and its trigger, if it is a published, active webhook agent; 404 for
        anything else (unknown, paused, archived, another kind): the anonymous caller learns nothing."""
        agent = await repo.webhook_agent(token) if len(token) <= webhooks.MAX_TOKEN_LENGTH else None
        if agent is not None and refusal(agent.status, published=True, source=TriggeredBy.webhook) is None:
            trigger = trigger_config(agent.definition)
            if trigger.get("kind") == "webhook" or (
                trigger.get("kind") == "integration"
                and trigger.get("integration") in integration_events.SUPPORTED
            ):
                return agent, trigger
        raise NotFound("No active webhook at this URL", code="unknown_webhook")

    async def schedule(
        self,
        db: FastReader,
        *,
        limits: PlanLimits,
        agent_id: uuid.UUID,
        version_id: uuid.UUID,
        flow_run_id: uuid.UUID,
        deployment_id: uuid.UUID | None,
        scheduled_at: str | None,
    ) -> uuid.UUID | None:
        """The execution of a scheduled flow run (a retried run finds its own); None when the run must not
        happen: the agent is paused or archived, the version is not its own or the flow run is not of its
        deployment (whatever is still scheduled in Prefect), or the plan allows no more executions (logged
        as a warning)."""
        repo = FastExecutionRepository(db)
        agent = await repo.scheduled_agent(agent_id, version_id)
        if (
            agent is None
            or refusal(agent.status, published=True, source=TriggeredBy.schedule) is not None
            or agent.deployment_id is None
            or agent.deployment_id != deployment_id
        ):
            return None
        try:
            await limits.check_execution_fast(
                db, org_id=agent.org_id, stored_plan=agent.plan, subscription=agent.subscription
            )
        except PlanLimitReached as refused:
            logger.warning(
                "scheduled run skipped: the plan's executions limit is reached",
                extra={"org_id": str(agent.org_id), "agent_id": str(agent_id), **refused.details},
            )
            return None
        # On the fast lane the scheduled flow run only records the execution (the lane runs it), so it is
        # not that flow run's; the key makes a retried scheduled run find this execution again.
        key = f"schedule:{flow_run_id}" if agent.fast else None
        new = NewExecution(
            org_id=agent.org_id,
            agent_id=agent_id,
            triggered_by=TriggeredBy.schedule,
            input={"scheduled_at": scheduled_at},
            version_id=version_id,
            flow_run_id=None if agent.fast else flow_run_id,
            idempotency_key=key,
        )
        if key is not None:
            return await repo.insert_queued(new) or await repo.id_by_idempotency_key(agent_id, key)
        return await repo.insert_queued(new) or await repo.id_by_flow_run(flow_run_id)

    async def sub_agent(
        self, db: FastReader, *, agent: ToolAgent, input: Any, idempotency_key: str
    ) -> uuid.UUID:
        """An execution of `agent` (loaded with `tool_agent`) as another agent's tool; the key (the parent
        execution and its child step) makes a re-run of the parent's step find the execution it started.
        StepError (permanent) when the agent may not run or the input does not match its trigger."""
        refused = refusal(agent.status, published=True, source=TriggeredBy.agent)
        if refused is not None:
            raise StepError(refused.message, code="agent_unavailable")
        try:
            check_trigger_input(trigger_config(agent.definition).get("input_schema"), input)
        except StepError as exc:
            raise StepError(f"The agent's input is not valid: {exc.message}", code="invalid_input") from None
        repo = FastExecutionRepository(db)
        new = NewExecution(
            org_id=agent.org_id,
            agent_id=agent.id,
            triggered_by=TriggeredBy.agent,
            input=input,
            version_id=agent.version_id,
            idempotency_key=idempotency_key,
        )
        found = await repo.insert_queued(new) or await repo.id_by_idempotency_key(agent.id, idempotency_key)
        assert found is not None, "only a repeated idempotency key conflicts"
        return found


async def _require_runnable_tools(session: AsyncSession, caller: AuthSubject, defn: AgentDefinition) -> None:
    """422 `unknown_agent` for an agent tool naming a restricted agent the caller may not run (as for an
    agent that is not there: agents/access.py)."""
    tools = agent_tool_ids(defn)
    if not tools:
        return
    hidden = tools & await access.hidden_agent_ids(
        session, subject=caller, permission=Permission.agents_execute
    )
    if hidden:
        raise ValidationFailed(f"Agent {min(hidden, key=str)} not found", code="unknown_agent")


@dataclass(frozen=True)
class ToolAgent:
    """A published agent of an organization, as an agent tool sees it."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    description: str
    status: str
    version_id: uuid.UUID
    definition: dict[str, Any]


_TOOL_AGENT = compile_query(
    text(
        """
        SELECT a.id, a.org_id, a.name, a.description, a.status, v.id AS version_id, v.definition
        FROM agents a JOIN agent_versions v ON v.agent_id = a.id AND v.number = a.current_version
        WHERE a.id = :agent_id AND a.org_id = :org_id
        """
    )
)


async def tool_agent(db: FastReader, org_id: uuid.UUID, agent_id: str) -> ToolAgent | None:
    """The organization's published agent `agent_id` (None for another org's, a draft-only or no agent)."""
    try:
        key = uuid.UUID(agent_id)
    except ValueError:
        return None
    row = await db.fetchrow(_TOOL_AGENT, agent_id=key, org_id=org_id)
    if row is None:
        return None
    return ToolAgent(
        id=row["id"],
        org_id=row["org_id"],
        name=row["name"],
        description=row["description"] or "",
        status=row["status"],
        version_id=row["version_id"],
        definition=row["definition"],
    )


def _schema_subject(input: Any, triggered_by: TriggeredBy, trigger: dict[str, Any]) -> Any:
    """What the input_schema describes: a webhook's (re-run) input is `{body, headers, query}`, and its
    schema is of the body. A test run of a webhook trigger is given in that shape too (the builder's test
    dialog starts from it), as the trigger node itself reads it."""
    if triggered_by == TriggeredBy.webhook and isinstance(input, dict):
        return input.get("body")
    if (
        triggered_by == TriggeredBy.test
        and trigger.get("kind") in ("webhook", "integration")
        and isinstance(input, dict)
    ):
        return input.get("body")
    return input


trigger_service = TriggerService()
