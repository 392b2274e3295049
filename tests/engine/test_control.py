"""Approvals, cancellation, a killed worker and retry from the failed step, against the real stack."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid

import hvac
import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import StateType
from starlette.requests import Request
from starlette.responses import JSONResponse

from agentflow.engine.worker.checkpoints import checkpoint_ref
from tests.conftest import prefect_auth
from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.support.outside import Outside, flaky
from tests.vault import root_client

pytestmark = pytest.mark.xdist_group("engine")


def approval_agent(outside: Outside, **approval: object) -> dict[str, object]:
    return {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("before", "action.http", url=outside.url + "/before"),
            node("ask", "human.approval", message="Ship {{trigger.output.what}}?", **approval),
            node("yes", "action.http", url=outside.url + "/yes"),
            node("no", "action.http", url=outside.url + "/no"),
        ],
        "edges": [
            edge("start", "before"),
            edge("before", "ask"),
            edge("ask", "yes", "approved"),
            edge("ask", "no", "rejected"),
        ],
    }


@pytest.mark.parametrize("approved", [True, False])
async def test_approval_pauses_and_resumes_with_the_decision(
    tenant: Tenant, outside: Outside, approved: bool
) -> None:
    agent = await tenant.agent(approval_agent(outside))
    execution_id = await tenant.run(agent["id"], {"what": "v2"})
    paused = await tenant.wait(execution_id, "paused")
    assert paused["waiting_for"]["message"] == "Ship v2?"
    assert paused["waiting_for"]["node_id"] == "ask"
    decision = await tenant.client.post(
        f"/executions/{execution_id}/approve", json={"approved": approved, "comment": "ok by me"}
    )
    assert decision.status_code == 200, decision.text
    again = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
    assert again.status_code == 409
    done = await tenant.wait(execution_id)
    assert done["status"] == "completed", done
    steps = await tenant.steps(execution_id)
    assert steps["ask"]["output"]["approved"] is approved
    assert steps["ask"]["output"]["comment"] == "ok by me"
    assert steps["yes" if approved else "no"]["status"] == "completed"
    assert steps["no" if approved else "yes"]["status"] == "skipped"
    # The step before the pause ran once: the resumed run reused its result.
    assert outside.counters["/before"] == 1
    assert steps["before"]["attempt"] == 1


async def test_approval_times_out_per_on_timeout(tenant: Tenant, outside: Outside) -> None:
    agent = await tenant.agent(approval_agent(outside, timeout_seconds=1, on_timeout="approve"))
    execution = await tenant.wait(await tenant.run(agent["id"], {"what": "x"}), within=60)
    assert execution["status"] == "completed", execution
    steps = await tenant.steps(execution["id"])
    assert steps["ask"]["output"]["timed_out"] is True
    assert steps["ask"]["output"]["approved"] is True
    assert steps["yes"]["status"] == "completed"

    failing = await tenant.agent(approval_agent(outside, timeout_seconds=1, on_timeout="fail"), name="strict")
    failed = await tenant.wait(await tenant.run(failing["id"], {"what": "y"}), within=60)
    assert failed["status"] == "failed"
    assert failed["failed_node"] == "ask"


async def test_an_unanswered_approval_is_rejected_by_default(tenant: Tenant, outside: Outside) -> None:
    # No `on_timeout` in the definition: nobody deciding must never count as a yes.
    agent = await tenant.agent(approval_agent(outside, timeout_seconds=1))
    execution_id = await tenant.run(agent["id"], {"what": "x"})
    execution = await tenant.wait(execution_id, within=60)
    assert execution["status"] == "completed", execution
    events = (await tenant.client.get(f"/executions/{execution_id}/events")).json()
    paused = [e["data"] for e in events if e["type"] == "execution.paused"]
    assert [p["on_timeout"] for p in paused] == ["reject"]  # it really waited, under the default
    steps = await tenant.steps(execution_id)
    assert steps["ask"]["output"]["timed_out"] is True
    assert steps["ask"]["output"]["approved"] is False
    assert steps["ask"]["output"]["by"] is None  # the deadline decided, not a person
    assert steps["no"]["status"] == "completed"
    assert steps["yes"]["status"] == "skipped"
    assert "/yes" not in outside.counters


async def test_only_named_approvers_may_decide(tenant: Tenant, outside: Outside) -> None:
    agent = await tenant.agent(approval_agent(outside, approvers=["role:owner"]))
    execution_id = await tenant.run(agent["id"], {"what": "x"})
    await tenant.wait(execution_id, "paused")
    await tenant.client.put("/org", json={"name": "still the owner"})
    # The caller is the owner, so it may; a non-matching user id list would refuse (403).
    refused_agent = await tenant.agent(
        approval_agent(outside, approvers=["00000000-0000-0000-0000-000000000000"]), name="someone else"
    )
    refused_id = await tenant.run(refused_agent["id"], {"what": "z"})
    await tenant.wait(refused_id, "paused")
    refused = await tenant.client.post(f"/executions/{refused_id}/approve", json={"approved": True})
    assert refused.status_code == 403
    allowed = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
    assert allowed.status_code == 200


async def test_cancel_a_running_execution(tenant: Tenant, outside: Outside) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("wait", "logic.delay", seconds=30),
            node("after", "action.http", url=outside.url + "/after"),
        ],
        "edges": [edge("start", "wait"), edge("wait", "after")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"])
    await tenant.wait(execution_id, "running")
    for _ in range(50):  # wait until the delay step is under way
        if (await tenant.steps(execution_id)).get("wait", {}).get("status") == "running":
            break
        await asyncio.sleep(0.1)
    response = await tenant.client.post(f"/executions/{execution_id}/cancel")
    assert response.status_code == 200, response.text
    cancelled = await tenant.wait(execution_id, within=20)
    assert cancelled["status"] == "cancelled", cancelled
    assert outside.requests == []
    assert (await tenant.client.post(f"/executions/{execution_id}/cancel")).status_code == 409


async def test_cancelling_a_paused_execution_frees_its_approval(
    tenant: Tenant, outside: Outside, engine_stack: EngineStack
) -> None:
    agent = await tenant.agent(approval_agent(outside))
    execution_id = await tenant.run(agent["id"], {"what": "v3"})
    paused = await tenant.wait(execution_id, "paused")
    assert (await tenant.steps(execution_id))["ask"]["status"] == "waiting"
    response = await tenant.client.post(f"/executions/{execution_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled" and response.json()["waiting_for"] is None
    # Nothing can decide on it any more: no approval, the step ended with the execution, the run cancelled.
    late = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_waiting"
    assert (await tenant.steps(execution_id))["ask"]["status"] == "cancelled"
    async with PrefectClient(api=engine_stack.prefect_url, auth_string=prefect_auth()) as prefect:
        flow_run = await prefect.read_flow_run(uuid.UUID(paused["prefect_flow_run_id"]))
    assert flow_run.state_type == StateType.CANCELLED
    assert (await tenant.wait(execution_id))["status"] == "cancelled"
    assert "/yes" not in outside.counters and "/no" not in outside.counters


async def test_a_killed_worker_fails_the_execution_and_retry_resumes_from_the_failed_step(
    tenant: Tenant, outside: Outside, engine_stack: EngineStack
) -> None:
    outside.routes["/slow-then-ok"] = flaky(0)
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("first", "action.http", url=outside.url + "/first"),
            node("wait", "logic.delay", seconds=20),
            node("last", "action.http", url=outside.url + "/last"),
        ],
        "edges": [edge("start", "first"), edge("first", "wait"), edge("wait", "last")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"])
    for _ in range(100):
        if (await tenant.steps(execution_id)).get("wait", {}).get("status") == "running":
            break
        await asyncio.sleep(0.1)
    assert engine_stack.worker.pid is not None
    os.killpg(engine_stack.worker.pid, signal.SIGKILL)  # the worker dies mid-run, with no chance to clean up
    engine_stack.worker.stop()
    engine_stack.worker.start()  # what `agentflow up` does when its worker dies
    failed = await tenant.wait(execution_id, "failed", within=60)
    assert "stopped unexpectedly" in failed["error"]

    await tenant.client.put(f"/agents/{agent['id']}", json={})  # no-op; the retry reuses the same version
    retried = await tenant.client.post(f"/executions/{execution_id}/retry", json={"from_failed": True})
    assert retried.status_code == 202, retried.text
    assert retried.json()["id"] == execution_id
    done = await tenant.wait(execution_id, "completed", "failed", within=90)
    assert done["status"] == "completed", done
    assert done["attempt"] == 2
    assert outside.counters["/first"] == 1  # completed before the crash: reused, not called again
    assert outside.counters["/last"] == 1


def read_checkpoint(org_id: str, execution_id: str, step_key: str) -> dict[str, str] | None:
    path = checkpoint_ref(uuid.UUID(org_id), uuid.UUID(execution_id), step_key).path("agentflow")
    try:
        answer = root_client().secrets.kv.v2.read_secret_version(
            path=path, mount_point="secret", raise_on_deleted_version=True
        )
    except hvac.exceptions.InvalidPath:
        return None
    return dict(answer["data"]["data"])


async def test_an_output_holding_a_secret_is_reused_from_vault_after_a_pause(
    tenant: Tenant, outside: Outside
) -> None:
    """Postgres keeps the masked output; the resumed run still hands the real value downstream."""
    await tenant.client.post("/org/secrets", json={"name": "LEAKY", "value": "leaky-secret-42"})

    async def echo_token(request: Request, payload: object) -> JSONResponse:
        return JSONResponse({"token": request.headers["x-token"]})

    outside.routes["/token"] = echo_token
    definition = {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("issue", "action.http", url=outside.url + "/token", headers={"X-Token": "{{env.LEAKY}}"}),
            node("ask", "human.approval", message="Use it?"),
            node(
                "use",
                "action.http",
                method="POST",
                url=outside.url + "/use",
                json={"t": "{{issue.output.body.token}}"},
            ),
        ],
        "edges": [edge("start", "issue"), edge("issue", "ask"), edge("ask", "use", "approved")],
    }
    agent = await tenant.agent(definition)
    execution_id = await tenant.run(agent["id"])
    await tenant.wait(execution_id, "paused")
    assert (await tenant.steps(execution_id))["issue"]["output"]["body"] == {"token": "***"}
    checkpoint = read_checkpoint(tenant.org_id, execution_id, "issue")
    assert checkpoint is not None and "leaky-secret-42" in checkpoint["output"]

    approved = await tenant.client.post(f"/executions/{execution_id}/approve", json={"approved": True})
    assert approved.status_code == 200, approved.text
    done = await tenant.wait(execution_id)
    assert done["status"] == "completed", done
    assert outside.counters["/token"] == 1  # reused, not called again
    used = next(r for r in outside.requests if r.path == "/use")
    assert json.loads(used.body) == {"t": "leaky-secret-42"}
    # Gone once the run completed: the worker deletes it right after recording the completion.
    for _ in range(100):
        if read_checkpoint(tenant.org_id, execution_id, "issue") is None:
            break
        await asyncio.sleep(0.1)
    assert read_checkpoint(tenant.org_id, execution_id, "issue") is None


def two_calls(outside: Outside, last_path: str = "/second") -> dict[str, object]:
    return {
        "nodes": [
            node("start", "trigger", kind="api"),
            node("first", "action.http", url=outside.url + "/first"),
            node("second", "action.http", url=outside.url + last_path),
        ],
        "edges": [edge("start", "first"), edge("first", "second")],
    }


async def test_retry_from_the_start_is_a_new_execution_that_reuses_no_step(
    tenant: Tenant, outside: Outside
) -> None:
    outside.routes["/second"] = flaky(1, status=400)  # a permanent failure the first time only
    agent = await tenant.agent(two_calls(outside))
    execution_id = await tenant.run(agent["id"], {"n": 1})
    failed = await tenant.wait(execution_id)
    assert failed["status"] == "failed" and failed["failed_node"] == "second", failed

    retried = await tenant.client.post(f"/executions/{execution_id}/retry", json={"from_failed": False})
    assert retried.status_code == 202, retried.text
    fresh_id = retried.json()["id"]
    assert fresh_id != execution_id
    fresh = await tenant.wait(fresh_id)
    assert fresh["status"] == "completed", fresh
    assert fresh["input"] == {"n": 1} and fresh["attempt"] == 1
    steps = await tenant.steps(fresh_id)
    assert {key: (s["status"], s["attempt"]) for key, s in steps.items()} == {
        "start": ("completed", 1),
        "first": ("completed", 1),
        "second": ("completed", 1),
    }
    assert outside.counters["/first"] == 2  # completed in the failed run, and called again: nothing reused
    previous = (await tenant.client.get(f"/executions/{execution_id}")).json()
    assert previous["status"] == "failed" and previous["attempt"] == 1  # left as it was


async def test_a_retry_after_a_republish_runs_the_version_that_failed(
    tenant: Tenant, outside: Outside
) -> None:
    outside.routes["/second"] = flaky(1, status=400)
    agent = await tenant.agent(two_calls(outside))
    execution_id = await tenant.run(agent["id"])
    failed = await tenant.wait(execution_id)
    assert failed["status"] == "failed", failed
    revision = (await tenant.client.get(f"/agents/{agent['id']}")).json()["draft_revision"]
    saved = await tenant.client.put(
        f"/agents/{agent['id']}", json={"definition": two_calls(outside, "/v2"), "revision": revision}
    )
    assert saved.status_code == 200, saved.text
    republished = await tenant.client.post(f"/agents/{agent['id']}/publish", json={"message": "v2"})
    assert republished.status_code == 201, republished.text

    in_place = await tenant.client.post(f"/executions/{execution_id}/retry", json={"from_failed": True})
    assert in_place.status_code == 202, in_place.text
    done = await tenant.wait(execution_id, "completed", "failed", within=90)
    assert done["status"] == "completed", done
    assert done["version_id"] == failed["version_id"]  # version 1, whatever is published now
    assert outside.counters["/second"] == 2 and "/v2" not in outside.counters
    assert outside.counters["/first"] == 1  # reused from the failed attempt

    # Starting over is a new run of the agent: it runs what is published now.
    fresh = await tenant.client.post(f"/executions/{execution_id}/retry", json={"from_failed": False})
    assert fresh.status_code == 202, fresh.text
    rerun = await tenant.wait(fresh.json()["id"])
    assert rerun["status"] == "completed", rerun
    assert rerun["version_id"] != failed["version_id"]
    assert outside.counters["/v2"] == 1
