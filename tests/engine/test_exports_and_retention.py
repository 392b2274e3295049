"""Exports and the retention purge on the real stack: the API records an export, the worker's flow run
writes the file and mails the requester a link that downloads it; the daily purge's deployment, run by the
worker, deletes an org's executions past its retention with their Vault checkpoints and keeps the rest."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import hvac.exceptions
import orjson
import pytest
from prefect.client.orchestration import PrefectClient
from sqlalchemy.engine import make_url

from agentflow.agents.schemas import EXAMPLE_DEFINITION
from agentflow.engine.worker.checkpoints import checkpoint_ref
from tests.conftest import prefect_auth
from tests.engine.conftest import EngineStack, Tenant
from tests.support.mailbox import text_of
from tests.vault import root_client

pytestmark = pytest.mark.xdist_group("engine")


async def _db(stack: EngineStack) -> asyncpg.Connection:
    url = make_url(stack.database_url).set(drivername="postgresql")
    return await asyncpg.connect(url.render_as_string(hide_password=False))


async def _execution(
    conn: asyncpg.Connection, org_id: str, agent_id: str, created_at: datetime, status: str = "completed"
) -> uuid.UUID:
    execution_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO executions (id, org_id, agent_id, status, triggered_by, input, output, created_at, "
        "updated_at, finished_at) VALUES ($1, $2, $3, $4, 'api', $5, $6, $7, $7, $7)",
        execution_id,
        uuid.UUID(org_id),
        uuid.UUID(agent_id),
        status,
        '{"text": "=HYPERLINK(1)"}',
        '"done"',
        created_at,
    )
    return execution_id


async def _wait_mail(stack: EngineStack, address: str, within: float = 30) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        messages = stack.mailbox.to(address)
        if messages:
            return text_of(messages[-1])
        await asyncio.sleep(0.2)
    raise AssertionError(f"no email to {address}")


async def test_an_export_runs_as_a_flow_and_mails_a_link_that_downloads_it(
    engine_api: EngineStack, tenant: Tenant
) -> None:
    agent = await tenant.agent(EXAMPLE_DEFINITION, publish=False, name="Exported agent")
    now = datetime.now(UTC)
    conn = await _db(engine_api)
    try:
        inside = await _execution(conn, tenant.org_id, agent["id"], now - timedelta(days=2))
        await _execution(conn, tenant.org_id, agent["id"], now - timedelta(days=40))  # before `from`
    finally:
        await conn.close()
    created = await tenant.client.post(
        "/exports",
        json={
            "kind": "executions",
            "format": "csv",
            "from": (now - timedelta(days=10)).isoformat(),
            "to": now.isoformat(),
        },
    )
    assert created.status_code == 202, created.text
    export_id = created.json()["id"]
    assert created.json()["status"] == "pending"

    deadline = time.monotonic() + 60
    body = created.json()
    while body["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        body = (await tenant.client.get(f"/exports/{export_id}")).json()
    assert body["status"] == "succeeded", body
    assert body["row_count"] == 1 and body["downloadable"] is True

    mail = await _wait_mail(engine_api, tenant.email)
    link = re.search(r"(http://\S+/download\?token=\S+)", mail)
    assert link is not None, mail
    notifications = (await tenant.client.get("/notifications")).json()["items"]
    assert [n["kind"] for n in notifications] == ["export.finished"]

    # The link works without signing in.
    async with httpx.AsyncClient(timeout=30) as anonymous:
        download = await anonymous.get(link.group(1))
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["id"] for r in rows] == [str(inside)]
    assert rows[0]["agent_name"] == "Exported agent"
    # A spreadsheet formula in run data stays text.
    assert orjson.loads(rows[0]["input"]) == {"text": "=HYPERLINK(1)"}


async def test_the_daily_purge_deletes_executions_past_retention_with_their_checkpoints(
    engine_api: EngineStack, tenant: Tenant
) -> None:
    agent = await tenant.agent(EXAMPLE_DEFINITION, publish=False)
    now = datetime.now(UTC)
    vault = root_client()
    conn = await _db(engine_api)
    try:
        old = await _execution(conn, tenant.org_id, agent["id"], now - timedelta(days=31))
        recent = await _execution(conn, tenant.org_id, agent["id"], now - timedelta(days=29))
        await conn.execute(
            "INSERT INTO execution_steps (id, org_id, execution_id, step_key, node_id, node_type, name, "
            "attempt, status, output_in_vault, created_at, updated_at) "
            "VALUES ($1, $2, $3, 'classify', 'classify', 'ai.agent', 'classify', 1, 'completed', true, "
            "now(), now())",
            uuid.uuid4(),
            uuid.UUID(tenant.org_id),
            old,
        )
        path = checkpoint_ref(uuid.UUID(tenant.org_id), old, "classify").path("agentflow")
        vault.secrets.kv.v2.create_or_update_secret(path=path, secret={"output": "{}"}, mount_point="secret")
        # Set through the API (the owner is told), then the week's notice is taken as passed.
        saved = await tenant.client.put("/org", json={"settings": {"retention_days": 30}})
        assert saved.status_code == 200, saved.text
        await conn.execute(
            "UPDATE organizations SET retention_purge_from = now() - interval '1 minute' WHERE id = $1",
            uuid.UUID(tenant.org_id),
        )
    finally:
        await conn.close()

    async with PrefectClient(api=engine_api.prefect_url, auth_string=prefect_auth()) as prefect:
        deployment = await prefect.read_deployment_by_name(f"retention-purge/daily-{engine_api.pool}")
        run = await prefect.create_flow_run_from_deployment(deployment.id)
        deadline = time.monotonic() + 90
        state = run.state
        while time.monotonic() < deadline:
            state = (await prefect.read_flow_run(run.id)).state
            if state is not None and state.is_final():
                break
            await asyncio.sleep(0.3)
    assert state is not None and state.is_completed(), state

    assert (await tenant.client.get(f"/executions/{old}")).status_code == 404
    assert (await tenant.client.get(f"/executions/{recent}")).status_code == 200
    with pytest.raises(hvac.exceptions.InvalidPath):
        vault.secrets.kv.v2.read_secret_version(
            path=path, mount_point="secret", raise_on_deleted_version=True
        )
