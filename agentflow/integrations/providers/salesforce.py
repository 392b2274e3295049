"""Salesforce: contacts and leads (create, update) and SOQL queries over the REST API.

httpx through `ActionCall.request` rather than `simple-salesforce`, which sends with `requests` and would
bypass the egress guard, previews and error mapping.

OAuth only (a connected app). Each org lives on its own instance: the token response's `instance_url` is
kept on the connection and every request goes there; `api_base` (the login host) is only the fallback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import httpx
from pydantic import AfterValidator, BaseModel, Field

from agentflow.integrations.base import (
    Action,
    ActionCall,
    Connection,
    IntegrationTool,
    OAuthApp,
    Params,
    Result,
)
from agentflow.nodes.errors import PermanentStepError

LOGIN = "https://login.salesforce.com"
API_VERSION = "v62.0"
DATA = f"/services/data/{API_VERSION}"
# Record ids are 15 or 18 characters; the first three say the object (003 contacts, 00Q leads).
CONTACT_ID = r"^003[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$"
LEAD_ID = r"^00Q[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$"
ACCOUNT_ID = r"^001[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$"

Short = Annotated[str, Field(max_length=255)]
MAX_OTHER_CHARS = 32_000


def _bounded(fields: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(fields, default=str)) > MAX_OTHER_CHARS:
        raise ValueError(f"at most {MAX_OTHER_CHARS} characters of JSON")
    return fields


OtherFields = Annotated[
    dict[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")], Any],
    AfterValidator(_bounded),
    Field(
        default_factory=dict,
        max_length=50,
        description="Other fields by API name, custom ones included: "
        '{"Industry": "Energy", "Tier__c": "Gold"}.',
    ),
]


# Our parameter names → Salesforce field API names (the rest come verbatim in `fields`).
API_NAMES = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "company": "Company",
    "email": "Email",
    "phone": "Phone",
    "mobile_phone": "MobilePhone",
    "title": "Title",
    "department": "Department",
    "account_id": "AccountId",
    "status": "Status",
    "lead_source": "LeadSource",
    "website": "Website",
    "description": "Description",
}


def sobject(params: BaseModel, *, only_set: bool) -> dict[str, Any]:
    """The record body: mapped fields (on update only those given, so a null clears a field) plus `fields`."""
    values = params.model_dump(exclude_unset=only_set, exclude_none=not only_set)
    body = {API_NAMES[name]: value for name, value in values.items() if name in API_NAMES}
    return body | dict(values.get("fields") or {})


def record_url(call: ActionCall, sobject_type: str, record_id: str) -> str:
    return call.url(f"/lightning/r/{sobject_type}/{record_id}/view")


class PersonFields(Params):
    first_name: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=80)
    phone: str | None = Field(None, max_length=40)
    mobile_phone: str | None = Field(None, max_length=40)
    title: str | None = Field(None, max_length=128)
    lead_source: Short | None = Field(None, description="A value of the org's Lead Source picklist.")
    description: str | None = Field(None, max_length=32_000)
    fields: OtherFields


class CreateContactParams(PersonFields):
    last_name: str = Field(min_length=1, max_length=80)
    department: str | None = Field(None, max_length=80)
    account_id: str | None = Field(None, pattern=ACCOUNT_ID, description="The contact's account (001…).")


class UpdateContactParams(PersonFields):
    contact_id: str = Field(pattern=CONTACT_ID, description="The contact's record id (003…).")
    last_name: str | None = Field(None, min_length=1, max_length=80)
    department: str | None = Field(None, max_length=80)
    account_id: str | None = Field(None, pattern=ACCOUNT_ID)


class CreateLeadParams(PersonFields):
    last_name: str = Field(min_length=1, max_length=80)
    company: str = Field(
        min_length=1, max_length=255, description="The lead's company (required by Salesforce)."
    )
    status: Short | None = Field(
        None, description="A value of the Lead Status picklist; the org default if empty."
    )
    website: str | None = Field(None, max_length=255)


class UpdateLeadParams(PersonFields):
    lead_id: str = Field(pattern=LEAD_ID, description="The lead's record id (00Q…).")
    last_name: str | None = Field(None, min_length=1, max_length=80)
    company: str | None = Field(None, min_length=1, max_length=255)
    status: Short | None = None
    website: str | None = Field(None, max_length=255)


class RecordRef(Result):
    id: str
    url: str = Field(description="The record in Salesforce (Lightning).")


async def _create(call: ActionCall, sobject_type: str, params: BaseModel) -> RecordRef:
    created = await call.request(
        "POST", f"{DATA}/sobjects/{sobject_type}", json=sobject(params, only_set=False)
    )
    return RecordRef(id=created["id"], url=record_url(call, sobject_type, created["id"]))


async def _update(call: ActionCall, sobject_type: str, record_id: str, params: BaseModel) -> RecordRef:
    body = sobject(params, only_set=True)
    if not body:
        raise PermanentStepError(
            f"Salesforce update: nothing to change on {record_id} (give at least one field)"
        )
    await call.request("PATCH", f"{DATA}/sobjects/{sobject_type}/{record_id}", json=body)  # 204, no body
    return RecordRef(id=record_id, url=record_url(call, sobject_type, record_id))


async def create_contact(call: ActionCall, params: CreateContactParams) -> RecordRef:
    return await _create(call, "Contact", params)


async def update_contact(call: ActionCall, params: UpdateContactParams) -> RecordRef:
    return await _update(call, "Contact", params.contact_id, params)


async def create_lead(call: ActionCall, params: CreateLeadParams) -> RecordRef:
    return await _create(call, "Lead", params)


async def update_lead(call: ActionCall, params: UpdateLeadParams) -> RecordRef:
    return await _update(call, "Lead", params.lead_id, params)


class SoqlQueryParams(Params):
    query: str = Field(
        min_length=1,
        max_length=20_000,
        description="A SOQL query, e.g. "
        "SELECT Id, Name, Email FROM Contact WHERE Email LIKE '%@acme.com' LIMIT 10.",
    )
    max_records: int = Field(200, ge=1, le=2000, description="Stop after this many records (pages followed).")


class SoqlQueryResult(Result):
    total_size: int = Field(description="How many records match (may exceed the records returned).")
    records: list[dict[str, Any]] = Field(description="Records with the selected fields (no `attributes`).")
    done: bool = Field(description="False when more records matched than max_records.")


def _plain(value: Any) -> Any:
    """A record without Salesforce's `attributes` envelopes (nested relationship records included)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items() if key != "attributes"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


async def soql_query(call: ActionCall, params: SoqlQueryParams) -> SoqlQueryResult:
    page = await call.request("GET", f"{DATA}/query", params={"q": params.query})
    records = list(page.get("records", []))
    while not page.get("done", True) and page.get("nextRecordsUrl") and len(records) < params.max_records:
        page = await call.request("GET", str(page["nextRecordsUrl"]))
        records += page.get("records", [])
    done = bool(page.get("done", True)) and len(records) <= params.max_records
    return SoqlQueryResult(
        total_size=int(page.get("totalSize", len(records))),
        records=_plain(records[: params.max_records]),
        done=done,
    )


class SalesforceTool(IntegrationTool):
    name = "salesforce"
    label = "Salesforce"
    description = "Create and update Salesforce contacts and leads, and query records with SOQL."
    category = "crm"
    auth_kinds = ("oauth2",)
    scopes = ("api", "refresh_token")
    oauth = OAuthApp(
        authorize_url=f"{LOGIN}/services/oauth2/authorize",
        token_url=f"{LOGIN}/services/oauth2/token",
        revoke_url=f"{LOGIN}/services/oauth2/revoke",
        scopes=scopes,
        pkce=True,
    )
    api_base = LOGIN
    actions = (
        Action(
            "create_contact", "Create a Salesforce contact.", CreateContactParams, create_contact, RecordRef
        ),
        Action(
            "update_contact",
            "Change fields of a Salesforce contact.",
            UpdateContactParams,
            update_contact,
            RecordRef,
        ),
        Action("create_lead", "Create a Salesforce lead.", CreateLeadParams, create_lead, RecordRef),
        Action(
            "update_lead", "Change fields of a Salesforce lead.", UpdateLeadParams, update_lead, RecordRef
        ),
        Action(
            "soql_query",
            "Read Salesforce records with a SOQL query.",
            SoqlQueryParams,
            soql_query,
            SoqlQueryResult,
            side_effect=False,
        ),
    )

    def connection_config(self, token_response: Mapping[str, Any]) -> dict[str, Any]:
        # `id` is https://login.salesforce.com/id/<org id>/<user id>
        config: dict[str, Any] = {"instance_url": token_response.get("instance_url")}
        identity = urlsplit(str(token_response.get("id") or "")).path.strip("/").split("/")
        if len(identity) == 3 and identity[0] == "id":
            config |= {"org_id": identity[1], "user_id": identity[2]}
        return config

    def api_base_for(self, api_base: str, connection: Connection) -> str:
        return str(connection.config.get("instance_url") or api_base)

    def error_message(self, response: httpx.Response, body: Any) -> str | None:
        # REST errors are a list: [{"message": "…", "errorCode": "REQUIRED_FIELD_MISSING", "fields": [...]}]
        if isinstance(body, list) and body and all(isinstance(item, Mapping) for item in body):
            return "; ".join(
                f"{item.get('errorCode', 'ERROR')}: {item.get('message', '')}"
                + (f" ({', '.join(map(str, item['fields']))})" if item.get("fields") else "")
                for item in body
            )
        return super().error_message(response, body)

    async def test(self, call: ActionCall) -> dict[str, Any]:
        me = await call.request("GET", "/services/oauth2/userinfo")
        return {
            "account": me.get("preferred_username") or me.get("email"),
            "user_id": me.get("user_id"),
            "org_id": me.get("organization_id"),
        }

    async def revoke(self, call: ActionCall) -> bool:
        # Revoking the refresh token ends every access token issued from it; the instance accepts it too.
        token = call.credentials.get("refresh_token") or call.credentials.get("access_token")
        if not token:
            return False
        try:
            await call.request(
                "POST",
                "/services/oauth2/revoke",
                content=urlencode({"token": token}),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                auth=False,
            )
        except PermanentStepError as exc:
            if isinstance(exc.output, Mapping) and exc.output.get("status") == 400:
                return True  # `invalid_token`: already revoked or expired, nothing left to end
            raise
        return True


TOOL = SalesforceTool()
