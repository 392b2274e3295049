"""The VaultConnection block: configuration and variable names only; credentials come from the worker."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import pytest
from prefect.client.orchestration import PrefectClient
from pydantic import SecretStr

from agentflow.config import Settings
from agentflow.errors import ServiceUnavailable
from agentflow.secrets.paths import SecretKind, SecretRef
from blocks.vault import DEFAULT_BLOCK_NAME, VaultConnection
from tests.conftest import prefect_auth, prefect_url, vault_info


def test_built_from_settings_it_holds_no_credential(settings: Settings) -> None:
    block = VaultConnection.from_settings(settings)
    assert block.address == settings.vault_addr and block.auth_method == "approle"
    assert (block.mount, block.prefix) == ("secret", "agentflow")
    dumped = str(block.model_dump())
    assert settings.vault_secret_id is not None
    assert settings.vault_secret_id.get_secret_value() not in dumped
    assert str(settings.vault_role_id) not in dumped
    token_settings = settings.model_copy(
        update={"vault_role_id": None, "vault_secret_id": None, "vault_token": SecretStr("t")}
    )
    assert VaultConnection.from_settings(token_settings).auth_method == "token"


async def test_a_worker_with_the_variables_reads_through_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = vault_info()["worker"]
    monkeypatch.setenv("AF_ROLE", worker["role_id"])
    monkeypatch.setenv("AF_SECRET", worker["secret_id"])
    block = VaultConnection.from_settings(settings).model_copy(
        update={"role_id_env": "AF_ROLE", "secret_id_env": "AF_SECRET"}
    )
    ref = SecretRef(org_id=uuid.uuid4(), kind=SecretKind.env, name="BLOCK_READ")
    monkeypatch.setenv("VAULT_ROLE_ID", vault_info()["api"]["role_id"])
    monkeypatch.setenv("VAULT_SECRET_ID", vault_info()["api"]["secret_id"])
    await VaultConnection.from_settings(settings).get_store().write(ref, {"value": "from the api"})
    assert await block.get_store(cache_seconds=0).read_value(ref) == "from the api"
    client = block.get_client()  # a plain hvac client, logged in with the worker's AppRole
    answer = client.secrets.kv.v2.read_secret_version(
        path=f"agentflow/orgs/{ref.org_id}/env/BLOCK_READ",
        mount_point="secret",
        raise_on_deleted_version=True,
    )
    assert answer["data"]["data"] == {"value": "from the api"}


def test_a_worker_without_the_variables_gets_a_clear_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VAULT_ROLE_ID", raising=False)
    with pytest.raises(ServiceUnavailable, match="VAULT_ROLE_ID is not set on this worker"):
        VaultConnection.from_settings(settings).get_client()


def test_the_slug_is_stable() -> None:
    assert VaultConnection.get_block_type_slug() == "agentflow-vault-connection"


async def test_a_worker_without_vault_addr_finds_vault_through_the_saved_block(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker on another machine gets only Prefect's address and its own AppRole credentials: the run's
    secrets are read through the `agentflow-vault` block `python -m blocks.register` saved."""
    api, worker = vault_info()["api"], vault_info()["worker"]
    ref = SecretRef(org_id=uuid.uuid4(), kind=SecretKind.env, name="VIA_BLOCK")
    monkeypatch.setenv("VAULT_ROLE_ID", api["role_id"])
    monkeypatch.setenv("VAULT_SECRET_ID", api["secret_id"])
    await VaultConnection.from_settings(settings).get_store().write(ref, {"value": "through the block"})
    async with PrefectClient(api=prefect_url(), auth_string=prefect_auth()) as client:
        await VaultConnection.aregister_type_and_schema(client=client)
        await VaultConnection.from_settings(settings).asave(DEFAULT_BLOCK_NAME, overwrite=True, client=client)
    read = (
        "import asyncio, uuid\n"
        "import flows.run_agent\n"
        "from agentflow.engine.worker.env import secret_store\n"
        "from agentflow.secrets.paths import SecretKind, SecretRef\n"
        f"ref = SecretRef(org_id=uuid.UUID({str(ref.org_id)!r}), kind=SecretKind.env, name='VIA_BLOCK')\n"
        "async def main():\n"
        "    print(await (await secret_store()).read_value(ref))\n"
        "asyncio.run(main())\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VAULT_", "AGENTFLOW_VAULT", "PREFECT_"))
    }
    env.update(
        PREFECT_API_URL=prefect_url(),
        PREFECT_API_AUTH_STRING=prefect_auth(),
        VAULT_ROLE_ID=worker["role_id"],
        VAULT_SECRET_ID=worker["secret_id"],
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", read, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().strip().splitlines()[-1] == "through the block"
