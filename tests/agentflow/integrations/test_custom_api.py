"""The custom API connector against a loopback pet store: hand-made actions, auth kinds, errors, previews."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agentflow.egress import EgressPolicy, guarded_client
from agentflow.errors import ValidationFailed
from agentflow.integrations.base import AuthExpired, Previewed
from agentflow.integrations.providers.custom_api import TOOL
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.agentflow.integrations.custom_helpers import action_call, connect, run
from tests.fakes.custom_api import PetStore
from tests.fakes.loopback import LoopbackServer

SECRETS = {"PETS_TOKEN": "s3cret-token", "PETS_PASSWORD": "pw-9", "PETS_KEY": "key-42"}

ACTIONS: list[dict[str, Any]] = [
    {
        "name": "get_pet",
        "method": "GET",
        "path": "/pets/{pet_id}",
        "query": ["fields"],
        "description": "One pet",
    },
    {"name": "create_pet", "method": "POST", "path": "/pets", "body": True},
    {"name": "list_pets", "method": "get", "path": "/pets"},
    {"name": "busy", "method": "GET", "path": "/busy"},
]


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
def base_url(petstore: tuple[PetStore, str]) -> str:
    return petstore[1] + "/v1"


def config(base_url: str, auth: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"base_url": base_url, "auth": auth or {"type": "none"}, "actions": ACTIONS, **extra}


async def test_hand_made_actions_map_path_query_and_body_with_a_bearer_token(
    store: PetStore, base_url: str, http: httpx.AsyncClient
) -> None:
    store.reset(("bearer", SECRETS["PETS_TOKEN"]))
    connection = await connect(
        TOOL, http, config(base_url, {"type": "bearer", "secret": "PETS_TOKEN"}), SECRETS
    )
    get_pet = next(a for a in connection.config["actions"] if a["name"] == "get_pet")
    assert get_pet["params_schema"]["required"] == ["pet_id"]
    assert set(get_pet["params_schema"]["properties"]) == {"pet_id", "fields"}
    assert get_pet["params_schema"]["additionalProperties"] is False
    assert get_pet["side_effect"] is False
    call = action_call(TOOL, connection, http, SECRETS)

    answer = await run(call, "get_pet", {"pet_id": "42", "fields": "name"})
    assert answer["path"] == "/v1/pets/42"
    assert (store.last.method, store.last.raw_path, store.last.query) == (
        "GET",
        "/v1/pets/42",
        {"fields": ["name"]},
    )
    assert store.last.headers["authorization"] == "Bearer s3cret-token"

    created = await run(call, "create_pet", {"body": {"name": "Tom", "tag": "cat"}})
    assert created == {"id": 7, "name": "Tom", "tag": "cat"}
    assert (store.last.method, store.last.raw_path, store.last.body) == (
        "POST",
        "/v1/pets",
        {"name": "Tom", "tag": "cat"},
    )
    assert store.last.headers["content-type"] == "application/json"


async def test_path_parameters_stay_inside_their_segment(
    store: PetStore, base_url: str, http: httpx.AsyncClient
) -> None:
    connection = await connect(TOOL, http, config(base_url), {})
    call = action_call(TOOL, connection, http, {})
    for value, sent in [
        ("../admin", "/v1/pets/..%2Fadmin"),
        ("..", "/v1/pets/%2E%2E"),
        ("a b/c?d#e", "/v1/pets/a%20b%2Fc%3Fd%23e"),
    ]:
        await run(call, "get_pet", {"pet_id": value})
        assert store.last.raw_path == sent


async def test_params_are_checked_against_the_action_schema(base_url: str, http: httpx.AsyncClient) -> None:
    connection = await connect(TOOL, http, config(base_url), {})
    call = action_call(TOOL, connection, http, {})
    with pytest.raises(PermanentStepError, match="'pet_id' is a required property"):
        await run(call, "get_pet", {})
    with pytest.raises(PermanentStepError, match="'colour' was unexpected"):
        await run(call, "get_pet", {"pet_id": "1", "colour": "red"})


@pytest.mark.parametrize(
    ("auth", "required"),
    [
        ({"type": "basic", "username": "ann", "secret": "PETS_PASSWORD"}, ("basic", "ann", "pw-9")),
        (
            {"type": "api_key", "secret": "PETS_KEY", "header": "X-Pets-Key"},
            ("header", "x-pets-key", "key-42"),
        ),
        ({"type": "api_key", "secret": "PETS_KEY"}, ("header", "x-api-key", "key-42")),
        ({"type": "api_key", "secret": "PETS_KEY", "in": "query", "name": "key"}, ("query", "key", "key-42")),
    ],
)
async def test_each_auth_kind_is_accepted_by_the_api(
    store: PetStore, base_url: str, http: httpx.AsyncClient, auth: dict[str, Any], required: tuple[str, ...]
) -> None:
    store.reset(required)
    connection = await connect(TOOL, http, config(base_url, auth), SECRETS)
    assert TOOL.org_secrets(connection) == {auth["secret"]}
    assert await run(action_call(TOOL, connection, http, SECRETS), "list_pets", {}) == [
        {"id": 1, "name": "Rex"}
    ]
    if auth["type"] == "basic":
        assert store.last.headers["authorization"] == "Basic " + base64.b64encode(b"ann:pw-9").decode()
    # The stored config names the secret; its value is nowhere in it.
    assert not any(value in json.dumps(connection.config) for value in SECRETS.values())


async def test_a_refused_secret_is_a_permanent_auth_error(
    store: PetStore, base_url: str, http: httpx.AsyncClient
) -> None:
    store.reset(("bearer", "the-right-one"))
    connection = await connect(
        TOOL, http, config(base_url, {"type": "bearer", "secret": "PETS_TOKEN"}), SECRETS
    )
    with pytest.raises(AuthExpired, match="Unauthorized") as refused:
        await run(action_call(TOOL, connection, http, SECRETS), "list_pets", {})
    assert "s3cret-token" not in str(refused.value.output)


async def test_default_headers_may_carry_org_secrets(
    store: PetStore, base_url: str, http: httpx.AsyncClient
) -> None:
    store.reset(("header", "x-tenant-key", "key-42"))
    headers = {"X-Tenant-Key": "{{ env.PETS_KEY }}", "X-Client": "agentflow"}
    connection = await connect(TOOL, http, config(base_url, headers=headers), SECRETS)
    assert TOOL.org_secrets(connection) == {"PETS_KEY"}
    assert connection.config["headers"]["X-Tenant-Key"] == "{{ env.PETS_KEY }}"
    await run(action_call(TOOL, connection, http, SECRETS), "list_pets", {})
    assert store.last.headers["x-client"] == "agentflow"


async def test_provider_errors_keep_their_message_and_rate_limits_are_transient(
    store: PetStore, base_url: str, http: httpx.AsyncClient
) -> None:
    connection = await connect(TOOL, http, config(base_url), {})
    call = action_call(TOOL, connection, http, {})
    with pytest.raises(PermanentStepError, match="name is required") as invalid:
        await run(call, "create_pet", {"body": {"tag": "no name"}})
    assert invalid.value.code == "http_400"
    with pytest.raises(TransientStepError) as limited:
        await run(call, "busy", {})
    assert limited.value.code == "rate_limit"
    assert limited.value.output["retry_after"] == "3"


async def test_previews_capture_writes_without_the_query_key_and_still_run_reads(
    store: PetStore, base_url: str, http: httpx.AsyncClient
) -> None:
    store.reset(("query", "key", "key-42"))
    auth = {"type": "api_key", "secret": "PETS_KEY", "in": "query", "name": "key"}
    connection = await connect(TOOL, http, config(base_url, auth), SECRETS)
    call = action_call(TOOL, connection, http, SECRETS, preview=True)
    with pytest.raises(Previewed) as previewed:
        await run(call, "create_pet", {"body": {"name": "Tom"}})
    assert previewed.value.request == {
        "method": "POST",
        "url": base_url + "/pets",
        "query": {},
        "json": {"name": "Tom"},
    }
    assert store.requests == []
    assert await run(call, "list_pets", {}) == [{"id": 1, "name": "Rex"}]
    assert store.last.query == {"key": ["key-42"]}


async def test_connection_test_reads_the_first_get_action_or_the_base_url(
    store: PetStore, base_url: str, http: httpx.AsyncClient
) -> None:
    connection = await connect(TOOL, http, config(base_url), {})
    assert await TOOL.test(action_call(TOOL, connection, http, {})) == {
        "reachable": True,
        "status": 200,
        "action": "list_pets",
    }
    assert store.last.raw_path == "/v1/pets"

    writes_only = config(
        base_url, actions=[{"name": "create_pet", "method": "POST", "path": "/pets", "body": True}]
    )
    connection = await connect(TOOL, http, writes_only, {})
    assert (await TOOL.test(action_call(TOOL, connection, http, {})))["reachable"] is True
    assert (store.last.method, store.last.raw_path) == ("GET", "/v1/")

    store.reset(("bearer", "other"))
    bearer = await connect(TOOL, http, config(base_url, {"type": "bearer", "secret": "PETS_TOKEN"}), SECRETS)
    with pytest.raises(AuthExpired):
        await TOOL.test(action_call(TOOL, bearer, http, SECRETS))


async def test_the_egress_guard_applies_to_custom_apis(base_url: str) -> None:
    closed = guarded_client(EgressPolicy.build(""))
    try:
        connection = await connect(TOOL, closed, config(base_url), {})
        with pytest.raises(PermanentStepError, match="AGENTFLOW_EGRESS_ALLOWLIST"):
            await run(action_call(TOOL, connection, closed, {}), "list_pets", {})
    finally:
        await closed.aclose()


async def test_a_stored_config_prepares_to_itself(base_url: str, http: httpx.AsyncClient) -> None:
    connection = await connect(
        TOOL, http, config(base_url, {"type": "bearer", "secret": "PETS_TOKEN"}), SECRETS
    )
    again = await connect(TOOL, http, dict(connection.config), SECRETS)
    assert again.config == connection.config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_url": "ftp://pets.example"}, "base_url"),
        ({"base_url": None}, "base_url is required"),
        ({"auth": {"type": "bearer"}}, "bearer auth needs secret"),
        ({"auth": {"type": "basic", "secret": "PETS_PASSWORD"}}, "basic auth needs username"),
        ({"auth": {"type": "oauth2", "secret": "PETS_KEY"}}, "oauth2 auth needs token_url, client_id"),
        ({"auth": {"type": "bearer", "secret": "lower-case"}}, "auth.secret"),
        ({"auth": {"type": "bearer", "secret": "NOT_THERE"}}, "the org secret NOT_THERE does not exist"),
        ({"headers": {"X-Key": "{{ env.NOT_THERE }}"}}, "the org secret NOT_THERE does not exist"),
        ({"headers": {"X-Key": "{{ nodes.a.output }}"}}, "only {{env.NAME}} references"),
        ({"actions": [*ACTIONS, {"name": "list_pets", "path": "/other"}]}, "two actions are named list_pets"),
        ({"actions": [{"name": "bad-name", "path": "/x"}]}, "must be 1-64 letters"),
        ({"actions": [{"name": "up", "path": "/../admin"}]}, "must not contain . or .."),
        ({"actions": [{"name": "abs", "path": "https://elsewhere.example/x"}]}, "must start with /"),
        ({"actions": [{"name": "clash", "path": "/x/{body}"}]}, "not `body`"),
        ({"actions": []}, "has no actions"),
        ({"actions": [{"name": f"a{i}", "path": "/x"} for i in range(201)]}, "actions"),
        ({"extra": 1}, "extra"),
        ({"headers": {"Host": "internal.example"}}, "set by the HTTP client"),
    ],
)
async def test_configs_that_cannot_work_are_refused(
    base_url: str, http: httpx.AsyncClient, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(
        ValidationFailed, match=message.replace("{", r"\{").replace("}", r"\}").replace(".", r"\.")
    ):
        await connect(TOOL, http, config(base_url) | change, SECRETS)
