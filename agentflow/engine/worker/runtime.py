"""What runs inside the `run_agent` flow: load the execution, walk its graph with each node as a Prefect task,
record every step, pause for approvals, finish the execution record."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from prefect.context import TaskRunContext
from prefect.exceptions import Pause

from agentflow.engine.worker import checkpoints, run_log, test_nodes, tool_approvals
from agentflow.engine.worker.approvals import approval_step
from agentflow.engine.worker.children import with_children
from agentflow.engine.worker.failures import masked_error
from agentflow.engine.worker.inline import inline_step
from agentflow.engine.worker.mail import mail_notifications
from agentflow.engine.worker.steps import (
    StepInput,
    definition_secret_names,
    execute_step,
    prepare_step,
    secret_names,
)
from agentflow.engine.worker.store import CompletedStep, EngineStore, LoadedExecution
from agentflow.engine.worker.tasks import RUNNING, task_for
from agentflow.engine.worker.timeouts import within_timeout
from agentflow.engine.worker.walker import StepScope, Walker
from agentflow.graph import AgentDefinition, Node, parse_definition
from agentflow.nodes.context import (
    AgentRuns,
    ApprovalPending,
    IntegrationCalls,
    KnowledgeSearch,
    NodeContext,
    NodeResult,
)
from agentflow.nodes.errors import StepError, is_retryable
from agentflow.nodes.registry import FLOW_LEVEL_TYPES
from agentflow.notifications.kinds import Notice, Recipients
from agentflow.notifications.producers import approval_notice
from agentflow.providers.router import Router
from agentflow.secrets.masking import ACTIVE_MASKERS, Masker

logger = logging.getLogger("agentflow.engine")


class ExecutionFailed(Exception):
    """Raised after the failure is recorded, so Prefect shows the flow run Failed as well."""


class ExecutionCancelled(BaseException):
    """A fast-lane execution found cancelled between two nodes (the API recorded it): the walk stops. A
    BaseException, like Prefect's Pause, so the walker stops rather than treating it as a step failure."""


@dataclass
class Runtime:
    store: EngineStore
    execution: LoadedExecution
    definition: AgentDefinition
    env: dict[str, str]
    base: NodeContext
    flow_run_id: uuid.UUID | None
    # Run by a worker's fast lane (fast_lane.py): nodes run inline (retries here, not Prefect tasks), a
    # cancel is checked before each node, and no run log lines go to the lane's shared flow run.
    fast: bool = False
    masker: Masker = field(init=False)
    trigger_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.masker = Masker(self.env.values())
        trigger = self.definition.trigger
        assert trigger is not None, "published and test definitions always have a trigger"
        self.trigger_id = trigger.id
        self.steps_in_flight: dict[str, tuple[Node, StepScope]] = {}
        # Neither resumed after an approval nor retried: no step can have a result to reuse.
        self.fresh = self.execution.status == "queued" and self.execution.attempt == 1
        # Completed steps of an earlier walk of this execution, reused instead of run again.
        self.reusable: dict[str, CompletedStep] = {}
        self.checkpointed: list[str] = []
        # Some step's output held a secret: records render later inputs from masked outputs.
        self.secret_outputs = False
        self._secret_names: dict[str, frozenset[str]] = {}
        self.pending_wait: tuple[Node, str, dict[str, Any]] | None = None

    @property
    def org_id(self) -> uuid.UUID:
        return self.execution.org_id

    async def event(
        self, event_type: str, *, node: Node | None = None, step_key: str | None = None, data: Any = None
    ) -> None:
        await self.store.event(
            self.org_id,
            self.execution.id,
            event_type,
            node_id=node.id if node else None,
            step_key=step_key,
            data=self.masker.mask(data),
        )

    async def run_step(self, node: Node, scope: StepScope) -> NodeResult:
        """The walker's StepRunner."""
        if self.fast and await self.store.cancelled(self.execution.id):
            raise ExecutionCancelled
        if node.type in FLOW_LEVEL_TYPES:
            return await self.flow_level_step(node, scope)
        done = self.reusable.get(scope.key)
        if done is not None:
            return await self._reuse(done)
        if self.fast:
            return await inline_step(self, node, scope)
        self.steps_in_flight[scope.key] = (node, scope)
        try:
            data = await task_for(node, self.definition.settings.default_retry)(
                str(self.execution.id), scope.key
            )
        finally:
            self.steps_in_flight.pop(scope.key, None)
        if "waiting_for" in data:  # an AI step's tool call waits for a decision
            await tool_approvals.suspend(self, node, ApprovalPending(data["waiting_for"]))
        return NodeResult(
            output=data["output"],
            handles=tuple(data["handles"]),
            tokens=int(data["tokens"]),
            cost_usd=float(data["cost_usd"]),
        )

    async def _reuse(self, done: CompletedStep) -> NodeResult:
        """A step this execution already completed: its recorded result, without running it again."""
        if done.output_in_vault:
            self.secret_outputs = True
        output = (
            await checkpoints.load(self.org_id, self.execution.id, done.step_key)
            if done.output_in_vault
            else done.output
        )
        return NodeResult(output=output, handles=done.handles, tokens=done.tokens, cost_usd=done.cost_usd)

    async def on_skip(self, node: Node, step_key: str) -> None:
        if await self.store.step_skipped(
            self.org_id,
            self.execution.id,
            step_key=step_key,
            node_id=node.id,
            node_type=node.type,
            name=node.name,
        ):
            await self.event("step.skipped", node=node, step_key=step_key)

    def prepare(self, node: Node, scope: StepScope) -> tuple[StepInput, Masker]:
        """The step's input, and the masker for what it writes (the run's secrets, plus the rendered strings
        that carry one: a URL or header with a transformed secret is masked whole)."""
        names = self._secret_names.get(node.id)
        if names is None:  # once per node of the walk (a loop body's nodes run many times)
            names = self._secret_names[node.id] = secret_names(node)
        step = prepare_step(
            node,
            scope,
            trigger_id=self.trigger_id,
            env=self.env,
            execution_id=str(self.execution.id),
            recorded_outputs=self.masker.mask(dict(scope.outputs)) if self.secret_outputs else None,
            names=names,
        )
        return step, self.masker.with_values(s for s in step.sensitive if len(s) >= 4)

    async def started(self, node: Node, scope: StepScope, config: Any, *, status: str = "running") -> int:
        run_log.step_started(self, node, scope.key, status=status)
        return await self.store.step_started(
            self.org_id,
            self.execution.id,
            step_key=scope.key,
            node_id=node.id,
            node_type=node.type,
            name=node.name,
            input=self.masker.mask(config),
            status=status,
        )

    async def completed(
        self, node: Node, scope: StepScope, result: NodeResult, masker: Masker | None = None
    ) -> None:
        output = (masker or self.masker).mask(result.output)
        # The row keeps the masked output; one that held a secret is checkpointed whole in Vault, so that
        # a resumed or retried run hands the real value downstream.
        in_vault = output != result.output
        if in_vault:
            self.secret_outputs = True
            if await checkpoints.keep(
                self.store, self.org_id, self.execution.id, node.id, scope.key, result.output
            ):
                self.checkpointed.append(scope.key)
        await self.store.step_ended(
            self.org_id,
            self.execution.id,
            step_key=scope.key,
            status="completed",
            event_type="step.completed",
            event_data={"output": output, "handles": list(result.handles)},
            output=output,
            tokens=result.tokens,
            cost_usd=result.cost_usd,
            handles=list(result.handles),
            output_in_vault=in_vault,
        )
        run_log.step_completed(self, node, scope.key, result)

    async def failed(
        self,
        node: Node,
        scope: StepScope,
        exc: BaseException,
        *,
        will_retry: bool,
        masker: Masker | None = None,
        attempt: int = 1,
    ) -> StepError:
        """Record the failed attempt (kind, tokens and cost spent); return the masked error to raise."""
        masked = masked_error(exc, masker or self.masker, attempts=attempt)
        run_log.step_failed(self, node, scope.key, masked.message, will_retry=will_retry)
        status = "retrying" if will_retry else "timed_out" if masked.kind == "timed_out" else "failed"
        await self.store.step_ended(
            self.org_id,
            self.execution.id,
            step_key=scope.key,
            status=status,
            event_type="step.retrying" if will_retry else "step.failed",
            event_data={"error": masked.message, "kind": masked.kind, "attempt": attempt, "status": status},
            output=masked.output if isinstance(exc, StepError) else None,
            error=masked.message,
            error_kind=masked.kind,
            tokens=masked.tokens,
            cost_usd=masked.cost_usd,
        )
        await self.store.log(
            self.org_id,
            self.execution.id,
            "warning" if will_retry else "error",
            f"{scope.key}: {masked.message}",
            node_id=node.id,
            step_key=scope.key,
        )
        return masked

    def test_option(self, node_id: str) -> dict[str, Any] | None:
        """This test run's choice for the node (preview, sample, send); None outside test runs."""
        options = self.execution.test_options if self.base.preview else None
        option = (options or {}).get(node_id)
        return option if isinstance(option, dict) else None

    async def task_body(
        self, node: Node, scope: StepScope, *, tries: tuple[int, int] | None = None
    ) -> NodeResult:
        """Inside the Prefect task: record, render, run, record. A failure leaves as a masked StepError,
        so Prefect's task state and logs never see a secret either. `tries` (attempt, retries) when no
        Prefect task runs the node (the fast lane); otherwise the task run says."""
        try:
            step, masker = self.prepare(node, scope)
        except StepError as exc:
            attempt = await self.started(node, scope, None)
            raise await self.failed(node, scope, exc, will_retry=False, attempt=attempt) from None
        attempt = await self.started(node, scope, step.recorded)
        option = self.test_option(node.id)
        own = test_nodes.node_context(self.base, option)
        # AI steps record their model rounds and tool calls as child steps (children.py).
        base = with_children(self, node, scope, own, masker, attempt=attempt) if node.type == "ai" else own
        try:
            result = await within_timeout(
                node.timeout_seconds,
                execute_step(node, step.config, scope, base, secrets=step.secrets),
                node_id=node.id,
            )
            result = test_nodes.with_sample(result, option)
        except ApprovalPending as pending:
            await tool_approvals.step_waiting(self, node, scope, pending)
            raise
        except Exception as exc:
            if tries is not None:
                run_count, retries = tries
            else:
                context = TaskRunContext.get()
                retries = context.task.retries if context else 0
                run_count = context.task_run.run_count if context else 1
            will_retry = is_retryable(exc) and run_count <= retries
            error = await self.failed(node, scope, exc, will_retry=will_retry, masker=masker, attempt=attempt)
            raise error from None
        # Cancelled (the run timed out or was cancelled): whoever stopped the run ends this step with it
        # (store.finish); a write from inside a cancelled scope may never land.
        await self.completed(node, scope, result, masker)
        return result

    async def flow_level_step(self, node: Node, scope: StepScope) -> NodeResult:
        if node.type == "human.approval":
            return await approval_step(self, node, scope)
        step, masker = self.prepare(node, scope)
        attempt = await self.started(node, scope, step.recorded)
        option = self.test_option(node.id)
        try:
            result = await within_timeout(
                node.timeout_seconds,
                execute_step(
                    node, step.config, scope, test_nodes.node_context(self.base, option), secrets=step.secrets
                ),
                node_id=node.id,
            )
            result = test_nodes.with_sample(result, option)
        except Exception as exc:
            raise await self.failed(
                node, scope, exc, will_retry=False, masker=masker, attempt=attempt
            ) from None
        await self.completed(node, scope, result, masker)
        return result

    async def run(self) -> dict[str, Any]:
        """Run the execution to its end (or to a pause); the record says how it went."""
        RUNNING[str(self.execution.id)] = self
        masking = ACTIVE_MASKERS.add(self.masker)  # log lines of any logger, Prefect's too, get masked
        try:
            return await self._run()
        finally:
            ACTIVE_MASKERS.discard(masking)
            RUNNING.pop(str(self.execution.id), None)

    async def _run(self) -> dict[str, Any]:
        resumed = self.execution.status == "paused" or self.execution.attempt > 1
        if not await self.store.mark_running(self.execution.id, self.flow_run_id):
            return {"status": self.execution.status, "note": "already finished"}
        await self.event("execution.resumed" if resumed else "execution.started")
        run_log.execution_started(self, resumed=resumed)
        walker = Walker(
            self.definition,
            run_step=self.run_step,
            on_skip=self.on_skip,
            max_parallel=self.definition.settings.max_parallel_nodes,
        )
        deadline = asyncio.timeout(self.definition.settings.timeout_seconds)
        try:
            async with deadline:
                result = await walker.run()
        except ExecutionCancelled:
            return {"status": "cancelled"}
        except Pause:
            # Only now is the flow run suspended with its input form saved: approvals are accepted from here.
            if self.pending_wait is not None:
                node, step_key, waiting_for = self.pending_wait
                told = await self.store.mark_paused(
                    self.execution.id,
                    waiting_for,
                    notice=await self._approval_notice(waiting_for),
                    recipients=Recipients.approvers(waiting_for.get("approvers") or []),
                )
                await self.event("execution.paused", node=node, step_key=step_key, data=waiting_for)
                await mail_notifications(self.store.db, told)  # never raises: an email never fails a run
            raise
        except TimeoutError:
            if not deadline.expired():
                raise
            message = (
                f"The execution ran longer than its timeout of {self.definition.settings.timeout_seconds}s"
            )
            # The steps still under way were cancelled; finishing marks them timed_out too.
            await self._finish("timed_out", error=message)
            raise ExecutionFailed(message) from None
        if result.status == "completed":
            await self._finish("completed", output=result.output)
            # Nothing will resume or retry a completed execution: its checkpoints go.
            kept = [key for key, done in self.reusable.items() if done.output_in_vault]
            if kept or self.checkpointed:
                try:
                    await checkpoints.discard(self.org_id, self.execution.id, [*kept, *self.checkpointed])
                except Exception as exc:  # the execution did complete; a leftover checkpoint is only litter
                    logger.warning("could not delete checkpoints of execution %s: %s", self.execution.id, exc)
            return {"status": "completed"}
        await self._finish("failed", error=result.error, failed_node=result.failed_node)
        raise ExecutionFailed(f"Step {result.failed_node} failed: {result.error}")

    async def _approval_notice(self, waiting_for: dict[str, Any]) -> Notice:
        label = await self.store.agent_label(self.execution.agent_id)
        return approval_notice(
            execution_id=self.execution.id,
            attempt=self.execution.attempt,
            agent_name=label[0] if label else "an agent",
            waiting=waiting_for,
        )

    async def _finish(
        self, status: str, *, output: Any = None, error: str | None = None, failed_node: str | None = None
    ) -> None:
        output, error = self.masker.mask(output), self.masker.mask(error)
        if await self.store.finish(
            self.execution.id, status, output=output, error=error, failed_node=failed_node
        ):
            run_log.execution_finished(self, status, error=error, failed_node=failed_node)
            event = {
                "completed": "execution.completed",
                "failed": "execution.failed",
                "timed_out": "execution.failed",
            }[status]
            await self.event(
                event, data={"status": status, "output": output, "error": error, "failed_node": failed_node}
            )


async def build_runtime(
    store: EngineStore,
    execution: LoadedExecution,
    *,
    resolve_env: Callable[[uuid.UUID, frozenset[str]], Awaitable[dict[str, str]]],
    http: httpx.AsyncClient,
    router: Router | None,
    flow_run_id: uuid.UUID | None,
    knowledge: KnowledgeSearch | None = None,
    agents: AgentRuns | None = None,
    integrations: IntegrationCalls | None = None,
    fast: bool = False,
) -> Runtime:
    """The runtime of one walk; it reads from Vault only the secrets some node of the definition names."""
    definition = parse_definition(execution.definition)
    env = await resolve_env(execution.org_id, definition_secret_names(definition))
    base = NodeContext(
        execution_id=execution.id,
        org_id=execution.org_id,
        http=http,
        router=router,
        knowledge=knowledge,
        agents=agents,
        integrations=integrations,
        trigger_input=execution.input,
        preview=execution.triggered_by == "test",
    )
    runtime = Runtime(
        store=store,
        execution=execution,
        definition=definition,
        env=env,
        base=base,
        flow_run_id=flow_run_id,
        fast=fast,
    )
    if not runtime.fresh:
        runtime.reusable = {done.step_key: done for done in await store.completed_steps(execution.id)}
    return runtime
