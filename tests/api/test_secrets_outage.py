"""Vault down or sealed: secret writes and signed webhooks answer 503, everything else keeps working, and
the API recovers by itself when Vault is back. Uses its own OpenBao (the session's one is shared with other
workers)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentflow.config import Settings
from agentflow.embedded.openbao import EmbeddedOpenBao
from agentflow.embedded.ports import free_port
from agentflow.embedded.process import ManagedProcess
from agentflow.models import Execution
from agentflow.secrets.store import SecretStore
from tests.api.test_webhook_signatures import BODY, JSON, SECRET, stripe_style, webhook_token
from tests.factories import Member


class OpenBaoUnderTest:
    def __init__(self, data_dir: Path) -> None:
        self.bao = EmbeddedOpenBao(data_dir, port=free_port())
        self.process: ManagedProcess | None = None

    def start(self) -> None:
        """What `agentflow up` does on every start: launch, then unseal and re-assert the setup."""
        self.process = self.bao.process()
        self.process.start()
        self.bao.bootstrap(process=self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


@pytest.fixture(scope="module")
def openbao() -> Iterator[OpenBaoUnderTest]:
    data_dir = Path(tempfile.mkdtemp(prefix="agentflow-openbao-"))
    server = OpenBaoUnderTest(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def own_vault(app: FastAPI, settings: Settings, openbao: OpenBaoUnderTest) -> SecretStore:
    credentials = openbao.bao.credentials()["api"]
    store = SecretStore.from_settings(
        settings.model_copy(
            update={
                "vault_addr": openbao.bao.addr,
                "vault_role_id": credentials.role_id,
                "vault_secret_id": SecretStr(credentials.secret_id),
                "vault_cache_seconds": 0,
            }
        )
    )
    app.state.secret_store = store
    return store


async def assert_secret_routes_unavailable(client: httpx.AsyncClient, owner: Member, reason: str) -> None:
    attempts = [
        await client.post("/org/secrets", json={"name": "NEW_ONE", "value": "v"}, headers=owner.headers),
        await client.put("/org/secrets/EXISTING", json={"value": "rotated"}, headers=owner.headers),
        await client.delete("/org/secrets/EXISTING", headers=owner.headers),
    ]
    for response in attempts:
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "service_unavailable"
        assert reason in error["message"] and "secret store is unavailable" in error["message"]


async def assert_everything_else_works(client: httpx.AsyncClient, owner: Member) -> None:
    assert (await client.get("/org", headers=owner.headers)).status_code == 200
    team = await client.post("/teams", json={"name": f"team-{id(client)}"}, headers=owner.headers)
    assert team.status_code == 201, team.text
    # Metadata lives in Postgres: listing and reading it need no Vault, and nothing was lost.
    existing = await client.get("/org/secrets/EXISTING", headers=owner.headers)
    assert existing.status_code == 200 and existing.json()["version"] == 1
    listed = await client.get("/org/secrets", headers=owner.headers)
    assert [s["name"] for s in listed.json()["items"]] == ["EXISTING"]


async def test_vault_down_gives_503_on_secret_writes_only_and_the_api_recovers(
    client: httpx.AsyncClient, owner: Member, openbao: OpenBaoUnderTest, own_vault: SecretStore
) -> None:
    created = await client.post(
        "/org/secrets", json={"name": "EXISTING", "value": "kept"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    credentials_before = openbao.bao.credentials_file.read_text()

    openbao.stop()
    await assert_secret_routes_unavailable(client, owner, "Vault is unreachable")
    await assert_everything_else_works(client, owner)
    health = await client.get("/health")
    assert health.status_code == 503
    components = health.json()["components"]
    assert components["vault"]["status"] == "down" and components["database"]["status"] == "ok"

    openbao.start()  # no API restart: the next request simply reaches Vault again
    assert (await client.get("/health")).json()["components"]["vault"] == {"status": "ok", "detail": None}
    rotated = await client.put("/org/secrets/EXISTING", json={"value": "rotated"}, headers=owner.headers)
    assert rotated.status_code == 200 and rotated.json()["version"] == 2
    assert (
        await client.post("/org/secrets", json={"name": "NEW_ONE", "value": "v"}, headers=owner.headers)
    ).status_code == 201
    # A restart unseals and keeps the same scoped credentials (the API's token survived too).
    assert openbao.bao.credentials_file.read_text() == credentials_before
    assert json.loads(credentials_before).keys() == {"api", "worker"}


async def test_vault_sealed_gives_503_and_unsealing_recovers(
    client: httpx.AsyncClient, owner: Member, openbao: OpenBaoUnderTest, own_vault: SecretStore
) -> None:
    assert (
        await client.post("/org/secrets", json={"name": "EXISTING", "value": "kept"}, headers=owner.headers)
    ).status_code == 201
    openbao.bao.root_client().sys.seal()
    try:
        await assert_secret_routes_unavailable(client, owner, "Vault is sealed")
        await assert_everything_else_works(client, owner)
        vault = (await client.get("/health")).json()["components"]["vault"]
        assert vault == {"status": "down", "detail": "sealed"}
    finally:
        openbao.bao.unseal()
    deleted = await client.delete("/org/secrets/EXISTING", headers=owner.headers)
    assert deleted.status_code == 204


async def test_a_signed_webhook_is_503_while_vault_is_sealed_and_runs_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    owner: Member,
    openbao: OpenBaoUnderTest,
    own_vault: SecretStore,
) -> None:
    """Unlike a signing secret that is not set (401: the owner must fix it), an outage is temporary: the
    sender is told to try again later, and unsigned webhooks keep working."""
    stored = await client.post(
        "/org/secrets", json={"name": "HOOK_KEY", "value": SECRET}, headers=owner.headers
    )
    assert stored.status_code == 201, stored.text
    signed_agent, signed = await webhook_token(client, session, owner, signing_secret="HOOK_KEY")
    _, unsigned = await webhook_token(client, session, owner, signing_secret=None)
    openbao.bao.root_client().sys.seal()
    try:
        refused = await client.post(f"/hooks/{signed}", content=BODY, headers=stripe_style(BODY))
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "service_unavailable"
        assert (await client.post(f"/hooks/{unsigned}", content=BODY, headers=JSON)).status_code == 202
    finally:
        openbao.bao.unseal()
    session.expire_all()
    assert await session.scalar(select(func.count()).where(Execution.agent_id == signed_agent)) == 0
    accepted = await client.post(f"/hooks/{signed}", content=BODY, headers=stripe_style(BODY))
    assert accepted.status_code == 202, accepted.text
