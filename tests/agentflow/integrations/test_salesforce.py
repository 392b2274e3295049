"""Salesforce against a loopback instance: requests go to the connection's instance URL, sObject bodies
use API field names, SOQL pages are followed, Salesforce's error list becomes the step's message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from agentflow.integrations.base import ActionCall, Previewed
from agentflow.integrations.providers.salesforce import TOOL
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.fakes.loopback import Reply
from tests.fakes.rest_app import action_call
from tests.fakes.salesforce_api import ACCESS_TOKEN, ORG_ID, REFRESH_TOKEN, USER_ID, SalesforceAPI

LOGIN_HOST = "https://login.salesforce.com"  # the default base: never called once the instance is known
ACCOUNT = "001Dn0000000001AAA"


@pytest.fixture(scope="module")
def server() -> Iterator[SalesforceAPI]:
    fake = SalesforceAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def salesforce(server: SalesforceAPI) -> SalesforceAPI:
    server.reset()
    return server


def connect(salesforce: SalesforceAPI, http: httpx.AsyncClient, **kwargs: Any) -> ActionCall:
    kwargs.setdefault("credentials", {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN})
    config = TOOL.connection_config(
        {"instance_url": salesforce.url, "id": f"{LOGIN_HOST}/id/{ORG_ID}/{USER_ID}", "token_type": "Bearer"}
    )
    return action_call(TOOL, http, api_base=LOGIN_HOST, config=config, **kwargs)


@pytest.fixture
def call(salesforce: SalesforceAPI, http: httpx.AsyncClient) -> ActionCall:
    return connect(salesforce, http)


async def run(call: ActionCall, name: str, params: dict[str, Any]) -> Any:
    action = TOOL.action(name)
    assert action is not None
    return await action.run(call, action.params.model_validate(params))


def test_connection_config_keeps_the_instance_and_identity() -> None:
    config = TOOL.connection_config(
        {
            "access_token": "secret",
            "instance_url": "https://acme.my.salesforce.com",
            "id": f"{LOGIN_HOST}/id/{ORG_ID}/{USER_ID}",
        }
    )
    assert config == {"instance_url": "https://acme.my.salesforce.com", "org_id": ORG_ID, "user_id": USER_ID}


async def test_create_contact_posts_api_field_names_to_the_instance(
    salesforce: SalesforceAPI, call: ActionCall
) -> None:
    created = await run(
        call,
        "create_contact",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@acme.example",
            "account_id": ACCOUNT,
            "fields": {"Tier__c": "Gold"},
        },
    )

    sent = salesforce.last
    assert (sent.method, sent.path) == ("POST", "/services/data/v62.0/sobjects/Contact")
    assert sent.header("authorization") == f"Bearer {ACCESS_TOKEN}"
    assert sent.body == {
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "ada@acme.example",
        "AccountId": ACCOUNT,
        "Tier__c": "Gold",
    }
    assert created.id.startswith("003")
    assert created.url == f"{salesforce.url}/lightning/r/Contact/{created.id}/view"


async def test_salesforce_errors_are_permanent_with_their_code_and_message(call: ActionCall) -> None:
    with pytest.raises(PermanentStepError) as caught:
        await run(call, "create_contact", {"last_name": "Lovelace", "email": "not-an-address"})
    assert caught.value.code == "http_400"
    assert (
        "INVALID_EMAIL_ADDRESS: Email: invalid email address: not-an-address (Email)" in caught.value.message
    )

    with pytest.raises(PermanentStepError, match="INVALID_FIELD: No such column 'Shoe_Size__c'"):
        await run(call, "create_contact", {"last_name": "Lovelace", "fields": {"Shoe_Size__c": 9}})


async def test_update_contact_patches_only_what_was_given(
    salesforce: SalesforceAPI, call: ActionCall
) -> None:
    created = await run(call, "create_contact", {"last_name": "Lovelace", "description": "old note"})

    updated = await run(
        call, "update_contact", {"contact_id": created.id, "title": "Countess", "description": None}
    )

    sent = salesforce.last
    assert (sent.method, sent.path) == ("PATCH", f"/services/data/v62.0/sobjects/Contact/{created.id}")
    assert sent.body == {"Title": "Countess", "Description": None}  # an explicit null clears the field
    assert updated.id == created.id
    assert salesforce.records[created.id]["Title"] == "Countess"
    assert salesforce.records[created.id]["Description"] is None


async def test_update_of_an_unknown_record_is_not_found(call: ActionCall) -> None:
    with pytest.raises(PermanentStepError) as caught:
        await run(call, "update_contact", {"contact_id": "003Dn9999999999AAA", "title": "x"})
    assert caught.value.code == "http_404"
    assert "NOT_FOUND" in caught.value.message


async def test_create_and_update_a_lead(salesforce: SalesforceAPI, call: ActionCall) -> None:
    lead = await run(call, "create_lead", {"last_name": "Hopper", "company": "Navy", "lead_source": "Web"})
    assert salesforce.last.body == {"LastName": "Hopper", "Company": "Navy", "LeadSource": "Web"}
    assert lead.id.startswith("00Q")

    await run(call, "update_lead", {"lead_id": lead.id, "status": "Working - Contacted"})
    assert salesforce.last.method == "PATCH"
    assert salesforce.last.body == {"Status": "Working - Contacted"}

    with pytest.raises(PermanentStepError, match="REQUIRED_FIELD_MISSING"):
        await run(call, "update_lead", {"lead_id": lead.id, "company": None})


async def test_soql_follows_next_records_url_up_to_max_records(
    salesforce: SalesforceAPI, call: ActionCall
) -> None:
    for name in ("A", "B", "C", "D", "E"):
        await run(call, "create_contact", {"last_name": name, "email": f"{name.lower()}@acme.example"})
    salesforce.requests.clear()

    result = await run(call, "soql_query", {"query": "SELECT Id, LastName FROM Contact", "max_records": 3})

    first, second = salesforce.requests
    assert (first.method, first.path, first.query) == (
        "GET",
        "/services/data/v62.0/query",
        {"q": "SELECT Id, LastName FROM Contact"},
    )
    assert second.path.startswith("/services/data/v62.0/query/01gXX")
    assert (result.total_size, result.done) == (5, False)
    assert [r["LastName"] for r in result.records] == ["A", "B", "C"]
    assert all("attributes" not in r for r in result.records)

    everything = await run(call, "soql_query", {"query": "SELECT Id FROM Contact WHERE LastName = 'E'"})
    assert (everything.total_size, everything.done, len(everything.records)) == (1, True, 1)


async def test_malformed_soql_is_permanent(call: ActionCall) -> None:
    with pytest.raises(PermanentStepError, match="MALFORMED_QUERY"):
        await run(call, "soql_query", {"query": "SELEKT Id FROM Contact"})


async def test_expired_session_is_refreshed_once(salesforce: SalesforceAPI, http: httpx.AsyncClient) -> None:
    async def refresh() -> dict[str, str]:
        return {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN}

    call = connect(salesforce, http, credentials={"access_token": "expired"}, refresh=refresh)
    result = await run(call, "soql_query", {"query": "SELECT Id FROM Lead"})

    assert result.records == []
    assert [r.header("authorization") for r in salesforce.requests] == [
        "Bearer expired",
        f"Bearer {ACCESS_TOKEN}",
    ]


async def test_rate_limit_is_transient(salesforce: SalesforceAPI, call: ActionCall) -> None:
    salesforce.enqueue(
        Reply(
            429,
            [{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
            headers={"Retry-After": "3"},
        )
    )
    with pytest.raises(TransientStepError) as caught:
        await run(call, "create_lead", {"last_name": "Hopper", "company": "Navy"})
    assert caught.value.code == "rate_limit"
    assert caught.value.output["retry_after"] == "3"


async def test_preview_captures_writes_and_runs_queries(salesforce: SalesforceAPI, call: ActionCall) -> None:
    await run(call, "create_contact", {"last_name": "Existing"})
    salesforce.requests.clear()
    call.preview = True

    with pytest.raises(Previewed) as caught:
        await run(call, "create_contact", {"last_name": "Lovelace"})
    assert caught.value.request == {
        "method": "POST",
        "url": f"{salesforce.url}/services/data/v62.0/sobjects/Contact",
        "query": {},
        "json": {"LastName": "Lovelace"},
    }
    assert salesforce.requests == []

    found = await run(call, "soql_query", {"query": "SELECT LastName FROM Contact"})
    assert found.records == [{"LastName": "Existing"}]


async def test_connection_test_and_revoke(salesforce: SalesforceAPI, call: ActionCall) -> None:
    assert await TOOL.test(call) == {"account": "ada@acme.example", "user_id": USER_ID, "org_id": ORG_ID}

    assert await TOOL.revoke(call) is True
    sent = salesforce.last
    assert (sent.method, sent.path, sent.body) == (
        "POST",
        "/services/oauth2/revoke",
        {"token": REFRESH_TOKEN},
    )
    assert sent.header("authorization") is None  # the token is the credential; no bearer header sent along
    assert await TOOL.revoke(call) is True  # already revoked: nothing left to end


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("update_contact", {"contact_id": "00QDn0000000001AAA", "title": "x"}),  # a lead's id
        ("update_lead", {"lead_id": "00Q/../../sobjects", "status": "x"}),
        ("create_contact", {"first_name": "no last name"}),
        ("create_lead", {"last_name": "Hopper"}),  # Salesforce requires Company
        ("create_contact", {"last_name": "x", "fields": {"Name; DROP": 1}}),
        ("create_contact", {"last_name": "x", "fields": {f"F{i}__c": i for i in range(51)}}),
        ("create_contact", {"last_name": "x", "fields": {"Notes__c": ["y" * 1000] * 33}}),
        ("soql_query", {"query": "SELECT Id FROM Contact", "max_records": 2001}),
        ("soql_query", {"query": "x" * 20_001}),
    ],
)
def test_params_refuse_bad_input(name: str, params: dict[str, Any]) -> None:
    action = TOOL.action(name)
    assert action is not None
    with pytest.raises(ValidationError):
        action.params.model_validate(params)


def test_catalog_entry() -> None:
    assert TOOL.auth_kinds == ("oauth2",)
    assert TOOL.oauth is not None and TOOL.oauth.pkce
    assert TOOL.oauth.revoke_url == f"{LOGIN_HOST}/services/oauth2/revoke"
    assert [a.name for a in TOOL.actions if not a.side_effect] == ["soql_query"]
