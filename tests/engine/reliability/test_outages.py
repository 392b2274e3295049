"""Outages around a run: Vault sealed or Postgres gone while a step's end is being recorded, Prefect down when
an execution is triggered, and the retention sweep of checkpoints nobody will retry."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import hvac
import pytest
from starlette.requests import Request

from agentflow.engine.worker.checkpoints import checkpoint_ref
from tests.engine.conftest import Tenant, edge, node
from tests.engine.reliability.conftest import (
    OUTAGE_RETRY_SECONDS,
    Gate,
    ReliabilityStack,
    worker_logs,
)
from tests.support.outside import Outside, json_reply

pytestmark = pytest.mark.xdist_group("engine")


def token_echo(request: Request) -> dict[str, str]:
    return {"token": request.headers["x-token"]}


def secret_agent(outside: Outside, *, after: dict[str, object]) -> dict[str, object]:
    """`issue` returns the org secret (its output is checkpointed in Vault), an approval, then `after`."""
    return {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("issue", "action.http", url=outside.url + "/issue", headers={"X-Token": "{{env.LEAKY}}"}),
            node("ask", "human.approval", message="Go on?"),
            after,
        ],
        "edges": [edge("start", "issue"), edge("issue", "ask"), edge("ask", str(after["id"]), "approved")],
    }


def use_node(outside: Outside) -> dict[str, object]:
    return node(
        "use",
        "action.http",
        method="POST",
        url=outside.url + "/use",
        json={"t": "{{issue.output.body.token}}"},
    )


def read_checkpoint(stack: ReliabilityStack, org_id: str, execution_id: str, step_key: str) -> str | None:
    path = checkpoint_ref(uuid.UUID(org_id), uuid.UUID(execution_id), step_key).path("agentflow")
    try:
        answer = stack.bao.root_client().secrets.kv.v2.read_secret_version(
            path=path, mount_point="secret", raise_on_deleted_version=True
        )
    except hvac.exceptions.InvalidPath:
        return None
    return str(answer["data"]["data"]["output"])


async def wait_for(condition: object, what: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


async def test_vault_sealed_while_a_step_is_checkpointed_the_step_waits_and_completes_once(
    tenant: Tenant, outside: Outside, stack: ReliabilityStack
) -> None:
    secret = f"leaky-{uuid.uuid4().hex[:12]}"
    assert (
        await tenant.client.post("/org/secrets", json={"name": "LEAKY", "value": secret})
    ).status_code == 201
    gate = Gate(token_echo)
    outside.routes["/issue"] = gate.handler
    agent = await tenant.agent(secret_agent(outside, after=use_node(outside)))
    try:
        execution_id = await tenant.run(agent["id"])
        await gate.wait_arrived()
        stack.bao.root_client().sys.seal()
        assert stack.bao.root_client().sys.is_sealed()
        gate.release.set()  # the step ends now, with its output to checkpoint in a sealed Vault
        await wait_for(
            lambda: "saving the checkpoint of issue failed" in worker_logs(stack), "the worker met the seal"
        )
        assert (await tenant.steps(execution_id))["issue"]["status"] == "running"  # not failed, not done
        stack.bao.unseal()
        await tenant.wait(execution_id, "paused")
        assert secret in (read_checkpoint(stack, tenant.org_id, execution_id, "issue") or "")
        approved = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
        assert approved.status_code == 200, approved.text
        done = await tenant.wait(execution_id)
        assert done["status"] == "completed", done
        assert outside.counters["/issue"] == 1
        assert json.loads(next(r for r in outside.requests if r.path == "/use").body) == {"t": secret}
    finally:
        gate.release.set()
        if stack.bao.root_client().sys.is_sealed():
            stack.bao.unseal()


async def test_vault_sealed_past_the_retry_window_never_runs_the_step_twice(
    tenant: Tenant, outside: Outside, stack: ReliabilityStack
) -> None:
    secret = f"leaky-{uuid.uuid4().hex[:12]}"
    assert (
        await tenant.client.post("/org/secrets", json={"name": "LEAKY", "value": secret})
    ).status_code == 201
    gate = Gate(token_echo)
    outside.routes["/issue"] = gate.handler
    agent = await tenant.agent(secret_agent(outside, after=use_node(outside)))
    try:
        execution_id = await tenant.run(agent["id"])
        await gate.wait_arrived()
        stack.bao.root_client().sys.seal()
        gate.release.set()
        # The step did act: recorded completed (masked), and the walk goes on to the approval.
        paused = await tenant.wait(execution_id, "paused", within=OUTAGE_RETRY_SECONDS + 60)
        steps = await tenant.steps(execution_id)
        assert steps["issue"]["status"] == "completed" and steps["issue"]["output"]["body"] == {
            "token": "***"
        }
        logs = (await tenant.client.get(f"/executions/{execution_id}/logs")).json()
        assert any("could not be checkpointed" in line["message"] for line in logs), logs
        assert paused["waiting_for"]["node_id"] == "ask"
        stack.bao.unseal()
        approved = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
        assert approved.status_code == 200, approved.text
        # The resumed run would need the real output: it fails clearly instead of calling /issue again.
        failed = await tenant.wait(execution_id)
        assert failed["status"] == "failed" and "checkpoint is gone" in failed["error"], failed
        assert outside.counters["/issue"] == 1 and "/use" not in outside.counters
    finally:
        gate.release.set()
        if stack.bao.root_client().sys.is_sealed():
            stack.bao.unseal()


async def test_postgres_down_while_a_step_ends_the_end_is_recorded_when_it_returns(
    tenant: Tenant, outside: Outside, stack: ReliabilityStack
) -> None:
    gate = Gate()
    outside.routes["/hold"] = gate.handler
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("hold", "action.http", method="POST", url=outside.url + "/hold"),
            node("last", "action.http", url=outside.url + "/last"),
        ],
        "edges": [edge("start", "hold"), edge("hold", "last")],
    }
    agent = await tenant.agent(definition)
    try:
        execution_id = await tenant.run(agent["id"])
        await gate.wait_arrived()
        seen = worker_logs(stack).count("a database statement failed")
        stack.postgres.down()  # the workers' Postgres is gone (the API and this test reach it directly)
        gate.release.set()
        await wait_for(
            lambda: worker_logs(stack).count("a database statement failed") > seen,
            "the worker met the outage",
        )
        assert (await tenant.steps(execution_id))["hold"]["status"] == "running"  # its end did not land
        stack.postgres.up()
        done = await tenant.wait(execution_id, within=OUTAGE_RETRY_SECONDS + 60)
        assert done["status"] == "completed", done
        step = (await tenant.steps(execution_id))["hold"]
        assert step["status"] == "completed" and step["attempt"] == 1
        assert outside.counters["/hold"] == 1 and outside.counters["/last"] == 1
    finally:
        gate.release.set()
        stack.postgres.up()


async def test_an_execution_triggered_while_prefect_is_down_runs_when_it_returns(
    tenant: Tenant, outside: Outside, stack: ReliabilityStack
) -> None:
    agent = await tenant.agent(
        {
            "nodes": [
                node("start", "trigger", kind="api"),
                node("call", "action.http", url=outside.url + "/x"),
            ],
            "edges": [edge("start", "call")],
        }
    )
    stack.prefect.down()
    try:
        response = await tenant.client.post(f"/agents/{agent['id']}/execute", json={"input": None})
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "queued"
        execution_id = response.json()["id"]
        # A sweeper tried to dispatch it and could not (the API's own attempt is still retrying).
        await wait_for(
            lambda: f"execution {execution_id} stays queued" in worker_logs(stack),
            "a sweeper's dispatch failed",
            within=60,
        )
        queued = (await tenant.client.get(f"/executions/{execution_id}")).json()
        assert queued["status"] == "queued" and queued["prefect_flow_run_id"] is None, queued
        assert outside.requests == []
    finally:
        stack.prefect.up()
    done = await tenant.wait(execution_id, within=120)
    assert done["status"] == "completed", done
    assert outside.counters["/x"] == 1


async def test_checkpoints_of_a_failed_execution_are_removed_after_the_retention_and_retry_is_refused(
    tenant: Tenant, outside: Outside, stack: ReliabilityStack
) -> None:
    """This stack's workers keep checkpoints for 0 days: the next sweep removes them."""
    secret = f"leaky-{uuid.uuid4().hex[:12]}"
    assert (
        await tenant.client.post("/org/secrets", json={"name": "LEAKY", "value": secret})
    ).status_code == 201
    outside.routes["/issue"] = json_reply({"token": secret})
    outside.routes["/bad"] = json_reply({"detail": "no"}, status=400)
    agent = await tenant.agent(
        secret_agent(outside, after=node("bad", "action.http", url=outside.url + "/bad"))
    )
    execution_id = await tenant.run(agent["id"])
    await tenant.wait(execution_id, "paused")
    assert secret in (read_checkpoint(stack, tenant.org_id, execution_id, "issue") or "")  # kept while paused
    assert (
        await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
    ).status_code == 200
    failed = await tenant.wait(execution_id)
    assert failed["status"] == "failed" and failed["failed_node"] == "bad", failed
    await wait_for(
        lambda: read_checkpoint(stack, tenant.org_id, execution_id, "issue") is None, "the checkpoint removed"
    )
    retried = await tenant.client.post(f"/executions/{execution_id}/retry", json={"from_failed": True})
    assert retried.status_code == 409, retried.text
    assert retried.json()["error"]["code"] == "retry_expired"
