"""POST /api/v1/integrations/custom_api/connect and /mcp/connect (the fixed contract): the connection with its
actions, org secrets named but never stored, refused configs, another org's secrets out of reach."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from agentflow.config import Settings
from agentflow.egress import EgressPolicy, guarded_client
from agentflow.integrations.runner import ConnectionRunner
from agentflow.secrets.store import SecretStore
from tests.factories import Member, create_org_with_owner
from tests.fakes.custom_api import PetStore, petstore_openapi
from tests.fakes.loopback import LoopbackServer
from tests.fakes.mcp_server import TOKEN, LifespanServer, NotesServer

PETS_TOKEN = "pets-" + "x9Y8z7" * 4


@pytest.fixture(scope="module")
def petstore() -> Iterator[tuple[PetStore, str]]:
    store = PetStore()
    server = LoopbackServer(store.app()).start()
    yield store, server.url
    server.stop()


@pytest.fixture(scope="module")
def notes_server() -> Iterator[str]:
    server = LifespanServer(NotesServer().app()).start()
    yield server.url
    server.stop()


async def add_secret(client: httpx.AsyncClient, member: Member, name: str, value: str) -> None:
    created = await client.post("/org/secrets", json={"name": name, "value": value}, headers=member.headers)
    assert created.status_code == 201, created.text


async def test_custom_api_connect_answers_the_connection_with_its_actions(
    client: httpx.AsyncClient, session: AsyncSession, owner: Member, petstore: tuple[PetStore, str]
) -> None:
    store, url = petstore
    store.reset(("bearer", PETS_TOKEN))
    await add_secret(client, owner, "PETS_TOKEN", PETS_TOKEN)
    config: dict[str, Any] = {
        "base_url": url + "/v1",
        "auth": {"type": "bearer", "secret": "PETS_TOKEN"},
        "headers": {"X-Client": "agentflow"},
        "actions": [
            {"name": "list_pets", "method": "GET", "path": "/pets", "description": "All pets"},
            {"name": "get_pet", "method": "GET", "path": "/pets/{pet_id}"},
        ],
    }
    created = await client.post(
        "/integrations/custom_api/connect", json={"name": "Pets", "config": config}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    connection = created.json()
    assert connection["provider"] == "custom_api" and connection["name"] == "Pets"
    assert connection["status"] == "active"
    actions = {a["name"]: a for a in connection["actions"]}
    assert actions["list_pets"]["description"] == "All pets"
    assert actions["get_pet"]["params_schema"]["required"] == ["pet_id"]
    # Connecting tested the API with the org secret; the secret itself is in no answer and no row.
    assert store.last.headers["authorization"] == f"Bearer {PETS_TOKEN}"
    assert PETS_TOKEN not in created.text
    rows = await session.execute(text("SELECT config::text FROM integration_connections"))
    assert all(PETS_TOKEN not in row[0] for row in rows)

    tested = await client.post(f"/integrations/{connection['id']}/test", headers=owner.headers)
    assert tested.status_code == 200 and tested.json()["ok"] is True, tested.text


async def test_custom_api_connect_imports_an_openapi_document(
    client: httpx.AsyncClient, owner: Member, petstore: tuple[PetStore, str]
) -> None:
    store, url = petstore
    store.reset()
    created = await client.post(
        "/integrations/custom_api/connect",
        json={"name": "Petstore", "config": {"openapi": petstore_openapi(url + "/v1")}},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    names = [a["name"] for a in created.json()["actions"]]
    assert names == ["listPets", "createPet", "showPetById", "deletePet", "get_pets_petId_photos"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"base_url": "ftp://x", "actions": [{"name": "a", "path": "/a"}]}, "base_url"),
        ({"base_url": "https://api.example", "actions": [{"name": "a", "path": "/a"}] * 2}, "two actions"),
        (
            {
                "base_url": "https://api.example",
                "auth": {"type": "bearer", "secret": "NOPE"},
                "actions": [{"name": "a", "path": "/a"}],
            },
            "the org secret NOPE does not exist",
        ),
    ],
)
async def test_custom_api_configs_that_cannot_work_are_422(
    client: httpx.AsyncClient, owner: Member, config: dict[str, Any], message: str
) -> None:
    refused = await client.post(
        "/integrations/custom_api/connect", json={"name": "Bad", "config": config}, headers=owner.headers
    )
    assert refused.status_code == 422, refused.text
    assert message in refused.text


async def test_mcp_connect_answers_the_servers_tools_as_actions(
    client: httpx.AsyncClient, owner: Member, notes_server: str
) -> None:
    await add_secret(client, owner, "MCP_TOKEN", TOKEN)
    config = {"url": notes_server, "headers": {"Authorization": "Bearer {{env.MCP_TOKEN}}"}}
    created = await client.post(
        "/integrations/mcp/connect", json={"name": "Notes", "config": config}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    connection = created.json()
    assert connection["provider"] == "mcp" and connection["status"] == "active"
    assert [a["name"] for a in connection["actions"]] == ["add", "create_note", "weather"]
    assert connection["actions"][0]["params_schema"]["required"] == ["a", "b"]
    assert TOKEN not in created.text
    tested = await client.post(f"/integrations/{connection['id']}/test", headers=owner.headers)
    assert tested.status_code == 200 and tested.json()["ok"] is True, tested.text


async def test_mcp_connect_cannot_use_another_orgs_secret(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Member, notes_server: str
) -> None:
    other = await create_org_with_owner(session, settings, name="Org B")
    await add_secret(client, other, "MCP_TOKEN", TOKEN)
    config = {"url": notes_server, "headers": {"Authorization": "Bearer {{env.MCP_TOKEN}}"}}
    refused = await client.post(
        "/integrations/mcp/connect", json={"name": "Notes", "config": config}, headers=owner.headers
    )
    assert refused.status_code == 422, refused.text
    assert "the org secret MCP_TOKEN does not exist" in refused.text


@pytest.fixture
async def runner(connection: AsyncConnection, settings: Settings) -> AsyncIterator[ConnectionRunner]:
    """The worker's runner, on the test's transaction (it sees the connections the API made)."""
    sessions = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )

    async def store() -> SecretStore:
        return SecretStore.from_settings(settings)

    async with guarded_client(EgressPolicy.from_settings(settings)) as http:
        yield ConnectionRunner(sessions, store, http=http, settings=settings)


async def test_the_worker_runs_custom_api_and_mcp_actions_with_the_org_secrets(
    client: httpx.AsyncClient,
    owner: Member,
    runner: ConnectionRunner,
    petstore: tuple[PetStore, str],
    notes_server: str,
) -> None:
    store, url = petstore
    store.reset(("header", "x-api-key", PETS_TOKEN))
    await add_secret(client, owner, "PETS_KEY", PETS_TOKEN)
    await add_secret(client, owner, "MCP_TOKEN", TOKEN)
    config = {
        "base_url": url + "/v1",
        "auth": {"type": "api_key", "secret": "PETS_KEY"},
        "actions": [
            {"name": "get_pet", "path": "/pets/{pet_id}", "query": ["fields"]},
            {"name": "create_pet", "method": "POST", "path": "/pets", "body": True},
        ],
    }
    pets = await client.post(
        "/integrations/custom_api/connect", json={"name": "Pets", "config": config}, headers=owner.headers
    )
    assert pets.status_code == 201, pets.text
    pets_id = pets.json()["id"]

    answer = await runner.run_action(
        owner.org_id,
        integration="custom_api",
        connection_id=pets_id,
        action="get_pet",
        params={"pet_id": "../admin", "fields": "name"},
        preview=False,
    )
    assert answer["path"] == "/v1/pets/..%2Fadmin"
    assert store.last.headers["x-api-key"] == PETS_TOKEN and store.last.query == {"fields": ["name"]}
    previewed = await runner.run_action(
        owner.org_id,
        integration="custom_api",
        connection_id=pets_id,
        action="create_pet",
        params={"body": {"name": "Tom"}},
        preview=True,
    )
    assert previewed["preview"] is True and previewed["request"]["json"] == {"name": "Tom"}

    config = {"url": notes_server, "headers": {"Authorization": "Bearer {{env.MCP_TOKEN}}"}}
    notes = await client.post(
        "/integrations/mcp/connect", json={"name": "Notes", "config": config}, headers=owner.headers
    )
    notes_id = notes.json()["id"]
    described = await runner.describe(owner.org_id, connection_id=notes_id, action="add")
    assert described.side_effect is False and described.parameters["required"] == ["a", "b"]
    added = await runner.run_action(
        owner.org_id,
        integration="mcp",
        connection_id=notes_id,
        action="add",
        params={"a": 20, "b": 22},
        preview=False,
    )
    assert added["structured"] == {"result": 42}


async def test_publishing_checks_a_custom_api_actions_params_against_its_schema(
    client: httpx.AsyncClient, owner: Member, petstore: tuple[PetStore, str]
) -> None:
    """A connection's own action has a JSON Schema instead of a params model: literal params that break it
    are a publish error naming the node and field; a templated value waits for the run."""
    store, url = petstore
    store.reset()
    created = await client.post(
        "/integrations/custom_api/connect",
        json={"name": "Shop", "config": {"openapi": petstore_openapi(url + "/v1")}},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text

    def definition(params: dict[str, Any]) -> dict[str, Any]:
        config = {
            "integration": "custom_api",
            "connection_id": created.json()["id"],
            "action": "createPet",
            "params": params,
        }
        return {
            "nodes": [
                {"id": "start", "type": "trigger", "name": "start", "config": {"kind": "api"}},
                {"id": "add", "type": "action.integration", "name": "add", "config": config},
            ],
            "edges": [{"source": "start", "target": "add"}],
        }

    async def publish(params: dict[str, Any]) -> httpx.Response:
        agent = await client.post(
            "/agents", json={"name": "pets", "definition": definition(params)}, headers=owner.headers
        )
        assert agent.status_code == 201, agent.text
        return await client.post(f"/agents/{agent.json()['id']}/publish", json={}, headers=owner.headers)

    refused = await publish({"body": {"tag": "cat"}})  # the body's required `name` is missing
    assert refused.status_code == 422, refused.text
    found = {(i["node_id"], i["code"]) for i in refused.json()["error"]["details"]["errors"]}
    assert found == {("add", "invalid_params")}
    assert "name" in refused.text
    templated = await publish({"body": {"name": "{{trigger.output.name}}"}})
    assert templated.status_code == 201, templated.text
    assert (await publish({"body": "{{trigger.output.pet}}"})).status_code == 201


async def test_an_openapi_document_larger_than_other_bodies_is_accepted_up_to_its_own_bound(
    client: httpx.AsyncClient, owner: Member, petstore: tuple[PetStore, str]
) -> None:
    """Connect requests carry their OpenAPI document, so they have a larger body limit than other routes (1
    MiB); past the connector's own bound the answer is a clear 422, not a dropped connection."""
    store, url = petstore
    store.reset()
    document = petstore_openapi(url + "/v1")
    document["info"]["description"] = "d" * (1024 * 1024 + 10)  # over 1 MiB of body, over the document bound
    too_big = await client.post(
        "/integrations/custom_api/connect",
        json={"name": "Huge", "config": {"openapi": document}},
        headers=owner.headers,
    )
    assert too_big.status_code == 422, too_big.text
    assert "larger than" in too_big.text
    document["info"]["description"] = "d" * (900 * 1024)
    created = await client.post(
        "/integrations/custom_api/connect",
        json={"name": "Big", "config": {"openapi": document}},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
