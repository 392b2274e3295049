"""The custom API connector's OpenAPI import and OAuth2 client credentials, against the loopback pet store."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agentflow.errors import ValidationFailed
from agentflow.integrations.custom.schema_check import schema_problems
from agentflow.integrations.providers.custom_api import TOOL
from tests.agentflow.integrations.custom_helpers import action_call, connect, run
from tests.fakes.custom_api import CLIENT_ID, CLIENT_SECRET, PetStore, petstore_openapi
from tests.fakes.loopback import LoopbackServer

SECRETS = {"PETS_CLIENT_SECRET": CLIENT_SECRET, "WRONG_SECRET": "nope"}


@pytest.fixture(scope="module")
def petstore() -> Iterator[tuple[PetStore, str]]:
    store = PetStore()
    server = LoopbackServer(store.app()).start()
    yield store, server.url
    server.stop()


@pytest.fixture
def store(petstore: tuple[PetStore, str]) -> PetStore:
    petstore[0].reset()
    return petstore[0]


@pytest.fixture
def url(petstore: tuple[PetStore, str]) -> str:
    return petstore[1]


def by_name(actions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {action["name"]: action for action in actions}


async def test_every_operation_becomes_an_action_named_by_its_operation_id(
    store: PetStore, url: str, http: httpx.AsyncClient
) -> None:
    connection = await connect(TOOL, http, {"openapi": petstore_openapi(url + "/v1")}, {})
    config = connection.config
    assert config["base_url"] == url + "/v1"  # from the document's servers
    assert config["api"] == {"title": "Swagger Petstore", "version": "1.0.0"}
    actions = by_name(config["actions"])
    assert list(actions) == ["listPets", "createPet", "showPetById", "deletePet", "get_pets_petId_photos"]
    assert config["skipped"] == [
        {"operation": "POST /pets/{petId}/photos", "reason": "its request body is not JSON"}
    ]
    assert [a["side_effect"] for a in actions.values()] == [False, True, False, True, False]

    list_schema = actions["listPets"]["params_schema"]
    assert list(list_schema["properties"]) == ["limit"]  # the header parameter is not mapped
    assert list_schema["properties"]["limit"]["type"] == "integer"
    assert list_schema["required"] == []
    show_schema = actions["showPetById"]["params_schema"]
    assert show_schema["properties"]["petId"] == {"type": "string", "description": "The id of the pet"}
    assert show_schema["required"] == ["petId"]
    body = actions["createPet"]["params_schema"]["properties"]["body"]
    assert body["required"] == ["name"]
    assert body["properties"]["name"] == {"type": "string"}
    # NewPet.parent → Pet → allOf NewPet: the cycle ends in an unconstrained schema, not a recursion error.
    pet = body["properties"]["parent"]
    assert pet["allOf"][0] == {"description": "recursive (NewPet)"}
    assert pet["allOf"][1]["properties"]["id"] == {"type": "integer", "format": "int64"}
    assert actions["createPet"]["params_schema"]["required"] == ["body"]

    public = [
        {"name": a.name, "description": a.description, "params_schema": a.params_schema()}
        for a in TOOL.actions_for(connection)
    ]
    assert public[0] == {"name": "listPets", "description": "List all pets", "params_schema": list_schema}


async def test_imported_actions_send_path_query_and_body(
    store: PetStore, url: str, http: httpx.AsyncClient
) -> None:
    connection = await connect(TOOL, http, {"openapi": petstore_openapi(url + "/v1")}, {})
    call = action_call(TOOL, connection, http, {})
    assert await run(call, "listPets", {"limit": 5}) == [{"id": 1, "name": "Rex"}]
    assert (store.last.raw_path, store.last.query) == ("/v1/pets", {"limit": ["5"]})
    await run(call, "showPetById", {"petId": "p/1"})
    assert store.last.raw_path == "/v1/pets/p%2F1"
    assert await run(call, "createPet", {"body": {"name": "Kit"}}) == {"id": 7, "name": "Kit"}
    assert store.last.body == {"name": "Kit"}
    with pytest.raises(Exception, match="101 is greater than the maximum of 100"):
        await run(call, "listPets", {"limit": 101})
    with pytest.raises(Exception, match="'body' is a required property"):
        await run(call, "createPet", {})


async def test_a_templated_path_parameter_the_document_forgot_is_still_one(url: str) -> None:
    document = petstore_openapi(url + "/v1")
    document["paths"]["/owners/{ownerId}"] = {"get": {"operationId": "getOwner", "responses": {}}}
    action = by_name(TOOL.normalise_config({"openapi": document})["actions"])["getOwner"]
    assert action["params_schema"]["properties"] == {"ownerId": {"type": "string"}}
    assert action["params_schema"]["required"] == ["ownerId"]


async def test_an_import_preview_needs_no_network_and_no_secrets(url: str) -> None:
    config = {"openapi": petstore_openapi(url + "/v1"), "auth": {"type": "bearer", "secret": "NOT_YET"}}
    preview = TOOL.normalise_config(config)
    assert [a["name"] for a in preview["actions"]][:2] == ["listPets", "createPet"]
    assert preview["auth"] == {"type": "bearer", "secret": "NOT_YET"}


async def test_a_base_url_given_with_the_connection_wins_over_the_document(
    store: PetStore, url: str, http: httpx.AsyncClient
) -> None:
    document = petstore_openapi("/relative")
    with pytest.raises(ValidationFailed, match="base_url is required"):
        await connect(TOOL, http, {"openapi": document}, {})
    connection = await connect(TOOL, http, {"base_url": url + "/v1", "openapi": document}, {})
    await run(action_call(TOOL, connection, http, {}), "deletePet", {"petId": "3"})
    assert (store.last.method, store.last.raw_path) == ("DELETE", "/v1/pets/3")


def _with(change: Any) -> dict[str, Any]:
    document = petstore_openapi("https://pets.example/v1")
    change(document)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _with(
                lambda d: d["components"]["schemas"].__setitem__(
                    "Pet", {"$ref": "https://evil.example/pet.json"}
                )
            ),
            "only local references",
        ),
        (_with(lambda d: d["components"].pop("requestBodies")), "which it does not define"),
        (_with(lambda d: d.__setitem__("openapi", "2.0")), "OpenAPI 3 document"),
        (_with(lambda d: d.pop("paths")), "has no paths"),
        (
            _with(lambda d: d["paths"]["/pets"]["get"].__setitem__("operationId", "createPet")),
            "two actions are named createPet",
        ),
        (
            _with(lambda d: d["info"].__setitem__("description", "x" * (1024 * 1024))),
            "larger than 1024 KiB",
        ),
        (
            _with(
                lambda d: d["paths"].update(
                    {f"/p{i}": {"get": {"operationId": f"op{i}", "responses": {}}} for i in range(200)}
                )
            ),
            "more than 200 operations",
        ),
    ],
    ids=["remote-ref", "dangling-ref", "swagger-2", "no-paths", "duplicate", "oversized", "too-many"],
)
async def test_documents_that_cannot_be_imported_are_refused(
    http: httpx.AsyncClient, document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await connect(TOOL, http, {"openapi": copy.deepcopy(document)}, {})


async def test_references_cannot_expand_without_bound(http: httpx.AsyncClient) -> None:
    # Each level references the next one twice: 2^40 nodes if expanded naively.
    schemas = {
        f"L{i}": {"type": "array", "items": [{"$ref": f"#/components/schemas/L{i + 1}"}] * 2}
        for i in range(40)
    }
    schemas["L40"] = {"type": "string"}
    document = _with(lambda d: d["components"]["schemas"].update(schemas))
    document["paths"]["/pets"]["post"]["requestBody"] = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/L0"}}}
    }
    with pytest.raises(ValidationFailed, match="expand to more than"):
        await connect(TOOL, http, {"openapi": document}, {})


def oauth2(url: str, secret: str = "PETS_CLIENT_SECRET", **extra: Any) -> dict[str, Any]:
    return {
        "base_url": url + "/v1",
        "auth": {
            "type": "oauth2",
            "grant": "client_credentials",
            "token_url": url + "/oauth/token",
            "client_id": CLIENT_ID,
            "secret": secret,
            "scopes": ["pets:read", "pets:write"],
            **extra,
        },
        "actions": [{"name": "list_pets", "path": "/pets"}],
    }


async def test_oauth2_client_credentials_fetch_cache_and_renew_the_token(
    store: PetStore, url: str, http: httpx.AsyncClient
) -> None:
    store.reset(("oauth2",))
    connection = await connect(TOOL, http, oauth2(url), SECRETS)  # checks the credentials once
    assert store.token_requests[0]["form"] == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "pets:read pets:write",
    }
    call = action_call(TOOL, connection, http, SECRETS)
    await run(call, "list_pets", {})
    await run(call, "list_pets", {})
    assert len(store.token_requests) == 2  # the connect check, then one token for both calls
    assert store.last.headers["authorization"] == "Bearer tok-2"

    store.issued.clear()  # the API forgets its tokens: the next call gets a 401 and a fresh token
    await run(call, "list_pets", {})
    assert len(store.token_requests) == 3
    assert [r.headers["authorization"] for r in store.requests[-2:]] == ["Bearer tok-2", "Bearer tok-3"]


async def test_oauth2_client_secret_basic(store: PetStore, url: str, http: httpx.AsyncClient) -> None:
    store.reset(("oauth2",))
    connection = await connect(TOOL, http, oauth2(url, client_auth="client_secret_basic"), SECRETS)
    await run(action_call(TOOL, connection, http, SECRETS), "list_pets", {})
    assert store.token_requests[-1]["authorization"].startswith("Basic ")
    assert "client_secret" not in store.token_requests[-1]["form"]


async def test_oauth2_with_a_wrong_client_secret_is_refused_at_connect(
    url: str, http: httpx.AsyncClient
) -> None:
    with pytest.raises(
        ValidationFailed, match="refused the client credentials: Client authentication failed"
    ):
        await connect(TOOL, http, oauth2(url, secret="WRONG_SECRET"), SECRETS)


async def test_oauth2_authorization_code_uses_the_platform_tokens(
    store: PetStore, url: str, http: httpx.AsyncClient
) -> None:
    config = oauth2(url, grant="authorization_code", authorize_url=url + "/oauth/authorize")
    connection = await connect(TOOL, http, config, SECRETS)
    app, client_id, secret_name = TOOL.oauth_app_for(connection.config)
    assert (app.authorize_url, app.token_url, app.scopes) == (
        url + "/oauth/authorize",
        url + "/oauth/token",
        ("pets:read", "pets:write"),
    )
    assert (client_id, secret_name) == (CLIENT_ID, "PETS_CLIENT_SECRET")
    store.reset(("oauth2",))
    store.issued.add("user-token")
    call = action_call(TOOL, connection, http, {})
    call.credentials = {"access_token": "user-token", "refresh_token": "r"}
    await run(call, "list_pets", {})
    assert store.last.headers["authorization"] == "Bearer user-token"
    assert store.token_requests == []  # tokens of this grant come from the platform's OAuth flow
    with pytest.raises(ValidationFailed, match="authorize_url"):
        await connect(TOOL, http, oauth2(url, grant="authorization_code"), SECRETS)


async def test_schema_problems_say_where_they_are(url: str) -> None:
    actions = by_name(TOOL.normalise_config({"openapi": petstore_openapi(url + "/v1")})["actions"])
    schema = actions["createPet"]["params_schema"]
    assert schema_problems(schema, {"body": {"name": "Tom"}}) == []
    assert schema_problems(schema, {"body": {"tag": 1}}) == [
        (("body",), "'name' is a required property"),
        (("body", "tag"), "1 is not of type 'string'"),
    ]
