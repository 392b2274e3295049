"""HubSpot against a loopback CRM v3: property names and associations on the wire, contacts addressed by
id or email, activities as engagement objects, HubSpot's errors, previews and params bounds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from agentflow.integrations.base import ActionCall, AuthExpired, Previewed
from agentflow.integrations.providers.hubspot import TOOL
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.fakes.hubspot_api import (
    COMPANY_ID,
    OAUTH_TOKEN,
    PORTAL_ID,
    PRIVATE_APP_TOKEN,
    REFRESH_TOKEN,
    HubSpotAPI,
)
from tests.fakes.loopback import Reply
from tests.fakes.rest_app import action_call


@pytest.fixture(scope="module")
def server() -> Iterator[HubSpotAPI]:
    fake = HubSpotAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def hubspot(server: HubSpotAPI) -> HubSpotAPI:
    server.reset()
    return server


@pytest.fixture
def call(hubspot: HubSpotAPI, http: httpx.AsyncClient) -> ActionCall:
    """A private-app token connection."""
    return action_call(TOOL, http, api_base=hubspot.url, credentials={"token": PRIVATE_APP_TOKEN})


async def run(call: ActionCall, name: str, params: dict[str, Any]) -> Any:
    action = TOOL.action(name)
    assert action is not None
    return await action.run(call, action.params.model_validate(params))


async def test_create_contact_sends_hubspot_property_names(hubspot: HubSpotAPI, call: ActionCall) -> None:
    contact = await run(
        call,
        "create_contact",
        {
            "email": "ada@acme.example",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "job_title": "Analyst",
            "properties": {"hs_lead_status": "NEW"},
        },
    )

    sent = hubspot.last
    assert (sent.method, sent.path) == ("POST", "/crm/v3/objects/contacts")
    assert sent.header("authorization") == f"Bearer {PRIVATE_APP_TOKEN}"
    assert sent.body == {
        "properties": {
            "email": "ada@acme.example",
            "firstname": "Ada",
            "lastname": "Lovelace",
            "jobtitle": "Analyst",
            "hs_lead_status": "NEW",
        }
    }
    assert contact.id == "101"
    assert contact.created_at == "2026-12-02T09:00:00.000Z"


async def test_hubspot_errors_carry_hubspots_message(call: ActionCall) -> None:
    await run(call, "create_contact", {"email": "ada@acme.example"})

    with pytest.raises(PermanentStepError) as conflict:
        await run(call, "create_contact", {"email": "ada@acme.example"})
    assert conflict.value.code == "http_409"
    assert "Contact already exists. Existing ID: 101" in conflict.value.message

    with pytest.raises(PermanentStepError, match='Property \\\\"shoe_size\\\\" does not exist'):
        await run(call, "create_contact", {"email": "b@acme.example", "properties": {"shoe_size": 9}})


async def test_a_wrong_token_is_an_auth_error(hubspot: HubSpotAPI, http: httpx.AsyncClient) -> None:
    call = action_call(TOOL, http, api_base=hubspot.url, credentials={"token": "pat-na1-revoked"})
    with pytest.raises(AuthExpired, match="Authentication credentials not found"):
        await run(call, "create_contact", {"email": "ada@acme.example"})


async def test_update_contact_by_id_and_by_email(hubspot: HubSpotAPI, call: ActionCall) -> None:
    created = await run(call, "create_contact", {"email": "ada@acme.example", "first_name": "Ada"})

    by_id = await run(call, "update_contact", {"contact_id": created.id, "phone": "+44 20 7946 0000"})
    sent = hubspot.last
    assert (sent.method, sent.path, sent.query) == ("PATCH", f"/crm/v3/objects/contacts/{created.id}", {})
    assert sent.body == {"properties": {"phone": "+44 20 7946 0000"}}
    assert by_id.updated_at == "2026-12-02T10:00:00.000Z"

    await run(call, "update_contact", {"email": "ada@acme.example", "lifecycle_stage": "customer"})
    sent = hubspot.last
    assert sent.path == "/crm/v3/objects/contacts/ada%40acme.example"
    assert sent.query == {"idProperty": "email"}
    assert sent.body == {
        "properties": {"lifecyclestage": "customer"}
    }  # the email addresses, it is not a change
    assert hubspot.objects["contacts"][created.id]["properties"]["lifecyclestage"] == "customer"

    with pytest.raises(PermanentStepError, match="resource not found"):
        await run(call, "update_contact", {"email": "nobody@acme.example", "phone": "1"})


async def test_create_deal_associates_contacts_and_companies(hubspot: HubSpotAPI, call: ActionCall) -> None:
    contact = await run(call, "create_contact", {"email": "ada@acme.example"})

    deal = await run(
        call,
        "create_deal",
        {
            "name": "Acme renewal",
            "stage": "qualifiedtobuy",
            "amount": 12500,
            "close_date": "2027-01-31",
            "contact_ids": [contact.id],
            "company_ids": [COMPANY_ID],
        },
    )

    sent = hubspot.last
    assert (sent.method, sent.path) == ("POST", "/crm/v3/objects/deals")
    assert sent.body == {
        "properties": {
            "dealname": "Acme renewal",
            "dealstage": "qualifiedtobuy",
            "pipeline": "default",
            "amount": 12500.0,
            "closedate": "2027-01-31",
        },
        "associations": [
            {
                "to": {"id": contact.id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}],
            },
            {
                "to": {"id": COMPANY_ID},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}],
            },
        ],
    }
    assert deal.id in hubspot.objects["deals"]


async def test_an_unknown_stage_is_hubspots_validation_error(call: ActionCall) -> None:
    with pytest.raises(PermanentStepError, match="'signed' is not a valid stage"):
        await run(call, "create_deal", {"name": "x", "stage": "signed"})


@pytest.mark.parametrize(
    ("kind", "contact_type", "deal_type", "text_property"),
    [
        ("note", 202, 214, "hs_note_body"),
        ("call", 194, 206, "hs_call_body"),
        ("task", 204, 216, "hs_task_body"),
    ],
)
async def test_log_activity_creates_an_engagement_on_a_contact_and_a_deal(
    hubspot: HubSpotAPI, call: ActionCall, kind: str, contact_type: int, deal_type: int, text_property: str
) -> None:
    contact = await run(call, "create_contact", {"email": "ada@acme.example"})
    deal = await run(call, "create_deal", {"name": "x", "stage": "closedwon", "contact_ids": [contact.id]})

    logged = await run(
        call,
        "log_activity",
        {
            "kind": kind,
            "body": "Called about <renewal>\nAgreed on terms",
            "timestamp": "2026-12-01T15:30:00+01:00",
            "contact_ids": [contact.id],
            "deal_ids": [deal.id],
        },
    )

    sent = hubspot.last
    assert (sent.method, sent.path) == ("POST", f"/crm/v3/objects/{kind}s")
    assert sent.body["properties"]["hs_timestamp"] == "2026-12-01T14:30:00.000Z"
    assert sent.body["properties"][text_property] == "Called about &lt;renewal&gt;<br>Agreed on terms"
    assert [(a["to"]["id"], a["types"][0]["associationTypeId"]) for a in sent.body["associations"]] == [
        (contact.id, contact_type),
        (deal.id, deal_type),
    ]
    assert (logged.kind, logged.timestamp) == (kind, "2026-12-01T14:30:00.000Z")
    assert logged.id in hubspot.objects[f"{kind}s"]


async def test_an_activity_on_a_missing_record_is_refused_by_hubspot(call: ActionCall) -> None:
    with pytest.raises(PermanentStepError, match="associations are invalid"):
        await run(call, "log_activity", {"body": "hello", "contact_ids": ["999999"]})


async def test_oauth_rate_limit_is_transient(hubspot: HubSpotAPI, http: httpx.AsyncClient) -> None:
    call = action_call(TOOL, http, api_base=hubspot.url, credentials={"access_token": OAUTH_TOKEN})
    hubspot.enqueue(
        Reply(
            429,
            {
                "status": "error",
                "message": "You have reached your secondly limit.",
                "errorType": "RATE_LIMIT",
            },
            headers={"Retry-After": "1"},
        )
    )

    with pytest.raises(TransientStepError) as caught:
        await run(call, "create_contact", {"email": "ada@acme.example"})

    assert caught.value.code == "rate_limit"
    assert "secondly limit" in caught.value.message
    assert hubspot.last.header("authorization") == f"Bearer {OAUTH_TOKEN}"


async def test_preview_captures_the_write(hubspot: HubSpotAPI, call: ActionCall) -> None:
    call.preview = True
    with pytest.raises(Previewed) as caught:
        await run(
            call, "log_activity", {"body": "note", "deal_ids": ["101"], "timestamp": "2026-12-01T00:00:00Z"}
        )
    assert caught.value.request["url"] == f"{hubspot.url}/crm/v3/objects/notes"
    assert caught.value.request["json"]["properties"] == {
        "hs_timestamp": "2026-12-01T00:00:00.000Z",
        "hs_note_body": "note",
    }
    assert hubspot.requests == []


async def test_connection_test_and_revoke(hubspot: HubSpotAPI, http: httpx.AsyncClient) -> None:
    call = action_call(
        TOOL,
        http,
        api_base=hubspot.url,
        credentials={"access_token": OAUTH_TOKEN, "refresh_token": REFRESH_TOKEN},
    )
    assert await TOOL.test(call) == {"account": str(PORTAL_ID), "ui_domain": "app.hubspot.com"}

    assert await TOOL.revoke(call) is True
    sent = hubspot.last
    assert (sent.method, sent.path) == ("DELETE", f"/oauth/v1/refresh-tokens/{REFRESH_TOKEN}")
    assert sent.header("authorization") is None
    assert hubspot.revoked == [REFRESH_TOKEN]
    assert await TOOL.revoke(call) is True  # already revoked

    private_app = action_call(TOOL, http, api_base=hubspot.url, credentials={"token": PRIVATE_APP_TOKEN})
    assert await TOOL.revoke(private_app) is False  # no API for it: rotated in HubSpot's settings


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("create_contact", {"phone": "123"}),  # nobody to name
        ("update_contact", {"phone": "123"}),  # nobody to address
        ("update_contact", {"contact_id": "../deals/1", "phone": "1"}),
        ("create_deal", {"name": "x"}),  # no stage
        ("create_deal", {"name": "x", "stage": "s", "contact_ids": [str(i) for i in range(21)]}),
        ("create_deal", {"name": "x", "stage": "s", "amount": -5}),
        ("log_activity", {"body": "orphan"}),  # on nothing
        ("log_activity", {"kind": "meeting", "body": "x", "contact_ids": ["1"]}),
        ("log_activity", {"body": "x" * 65_001, "contact_ids": ["1"]}),
        ("create_contact", {"email": "a@b.c", "properties": {"bad name": "x"}}),
        ("create_contact", {"email": "a@b.c", "properties": {"nested": {"a": 1}}}),
    ],
)
def test_params_refuse_bad_input(name: str, params: dict[str, Any]) -> None:
    action = TOOL.action(name)
    assert action is not None
    with pytest.raises(ValidationError):
        action.params.model_validate(params)


def test_catalog_entry() -> None:
    assert TOOL.auth_kinds == ("oauth2", "token")
    assert TOOL.oauth is not None
    assert "crm.objects.deals.write" in TOOL.oauth.scopes
    assert [f.name for f in TOOL.credential_fields] == ["token"]
    assert {a.name for a in TOOL.actions} == {
        "create_contact",
        "update_contact",
        "create_deal",
        "log_activity",
    }
