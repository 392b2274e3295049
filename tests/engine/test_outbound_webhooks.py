"""Outbound webhooks end to end: a real run ends, the worker's `webhook-delivery` system flow (a Prefect
flow run of its deployment on the test pool) sends the signed `execution.completed` to a loopback receiver."""

from __future__ import annotations

import asyncio

from prefect.client.orchestration import PrefectClient
from standardwebhooks import Webhook

from tests.conftest import prefect_auth
from tests.engine.conftest import EngineStack, Tenant, edge, node
from tests.support.outside import Outside


async def test_a_finished_run_is_delivered_signed_by_the_delivery_flow(
    engine_api: EngineStack, tenant: Tenant, outside: Outside
) -> None:
    created = await tenant.client.post(
        "/org/webhooks",
        json={"url": f"{outside.url}/receiver", "events": ["execution.completed", "execution.failed"]},
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    agent = await tenant.agent(
        {
            "nodes": [
                node("start", "trigger", kind="api"),
                node("hit", "action.http", url=outside.url + "/hit"),
            ],
            "edges": [edge("start", "hit")],
        }
    )
    execution_id = await tenant.run(agent["id"])
    assert (await tenant.wait(execution_id))["status"] == "completed"

    # The delivery deployment the worker created at start (cron: every minute); a run now, not in a minute.
    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        deployment = await prefect.read_deployment_by_name(f"webhook-delivery/every-minute-{engine_api.pool}")
        await prefect.create_flow_run_from_deployment(deployment.id, parameters={"seconds": 2})
    for _ in range(600):
        if outside.counters.get("/receiver"):
            break
        await asyncio.sleep(0.1)
    received = [r for r in outside.requests if r.path == "/receiver"]
    assert received, "the delivery flow sent nothing"
    payload = Webhook(endpoint["secret"]).verify(received[0].body, received[0].headers)
    assert payload["type"] == "execution.completed"
    assert payload["data"]["execution_id"] == execution_id and payload["data"]["status"] == "completed"

    for _ in range(100):
        log = (await tenant.client.get(f"/org/webhooks/{endpoint['id']}/deliveries")).json()["items"]
        if log and log[0]["status"] == "succeeded":
            break
        await asyncio.sleep(0.1)
    assert [(d["event"], d["status"], d["response_status"]) for d in log] == [
        ("execution.completed", "succeeded", 200)
    ]
