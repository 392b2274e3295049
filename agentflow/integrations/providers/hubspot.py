"""HubSpot CRM: contacts (create, update), deals (create) and activities logged on contacts or deals.

httpx through `ActionCall.request` rather than `hubspot-api-client`, whose generated client sends with
urllib3 and would bypass the egress guard, previews and error mapping.

A private-app access token (`pat-…`) or OAuth; both are bearer tokens on `api.hubapi.com` and the CRM v3
object endpoints. Activities are v3 engagement objects (notes, calls, tasks) created with their
associations in the same request.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import Field, model_validator

from agentflow.integrations.base import Action, ActionCall, Field_, IntegrationTool, OAuthApp, Params, Result
from agentflow.nodes.errors import PermanentStepError

RECORD_ID = r"^[0-9]{1,20}$"
RecordId = Annotated[str, Field(pattern=RECORD_ID, description="A HubSpot record id (digits).")]
RecordIds = Annotated[list[RecordId], Field(default_factory=list, max_length=20)]
PropertyValue = str | int | float | bool | None
OtherProperties = Annotated[
    dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,100}$")], PropertyValue],
    Field(
        default_factory=dict,
        max_length=100,
        description='Other properties by internal name, custom ones included: {"hs_lead_status": "NEW"}.',
    ),
]

# HubSpot-defined association type ids, from the activity or deal to the record it is about.
DEAL_TO_CONTACT = 3
DEAL_TO_COMPANY = 5
ActivityKind = Literal["note", "call", "task"]
ACTIVITY_ASSOCIATIONS: dict[ActivityKind, dict[str, int]] = {
    "note": {"contact": 202, "deal": 214},
    "call": {"contact": 194, "deal": 206},
    "task": {"contact": 204, "deal": 216},
}


def associations(ids: list[str], type_id: int) -> list[dict[str, Any]]:
    return [
        {
            "to": {"id": record_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
        }
        for record_id in ids
    ]


def properties(
    values: Mapping[str, Any], names: Mapping[str, str], other: Mapping[str, Any]
) -> dict[str, Any]:
    """HubSpot properties from our params (`names`: ours → HubSpot's), then the caller's other properties."""
    mapped = {names[key]: value for key, value in values.items() if key in names}
    return {
        key: (value.isoformat() if isinstance(value, date) else value)
        for key, value in (mapped | dict(other)).items()
    }


class RecordRef(Result):
    id: str
    created_at: str | None = None
    updated_at: str | None = None


def record_ref(record: Mapping[str, Any]) -> RecordRef:
    return RecordRef(
        id=str(record["id"]), created_at=record.get("createdAt"), updated_at=record.get("updatedAt")
    )


# --- contacts ---------------------------------------------------------------------------------------

CONTACT_PROPERTIES = {
    "email": "email",
    "first_name": "firstname",
    "last_name": "lastname",
    "phone": "phone",
    "company": "company",
    "job_title": "jobtitle",
    "website": "website",
    "lifecycle_stage": "lifecyclestage",
}


class ContactFields(Params):
    first_name: str | None = Field(None, max_length=255)
    last_name: str | None = Field(None, max_length=255)
    phone: str | None = Field(None, max_length=64)
    company: str | None = Field(None, max_length=255, description="Company name (text property).")
    job_title: str | None = Field(None, max_length=255)
    website: str | None = Field(None, max_length=2048)
    lifecycle_stage: str | None = Field(None, max_length=64, description="subscriber, lead, customer, …")
    properties: OtherProperties


class CreateContactParams(ContactFields):
    email: str | None = Field(None, max_length=254, description="Unique per contact in HubSpot.")

    @model_validator(mode="after")
    def _identified(self) -> CreateContactParams:
        if not (self.email or self.first_name or self.last_name):
            raise ValueError("give at least an email, a first name or a last name")
        return self


class UpdateContactParams(ContactFields):
    contact_id: RecordId | None = Field(None, description="The contact's id; or give `email` instead.")
    email: str | None = Field(
        None,
        max_length=254,
        description="Without contact_id: finds the contact by email. With it: the new email.",
    )

    @model_validator(mode="after")
    def _addressed(self) -> UpdateContactParams:
        if not (self.contact_id or self.email):
            raise ValueError("give contact_id or the contact's email")
        return self


async def create_contact(call: ActionCall, params: CreateContactParams) -> RecordRef:
    values = params.model_dump(exclude_none=True)
    body = {"properties": properties(values, CONTACT_PROPERTIES, params.properties)}
    return record_ref(await call.request("POST", "/crm/v3/objects/contacts", json=body))


async def update_contact(call: ActionCall, params: UpdateContactParams) -> RecordRef:
    values = params.model_dump(exclude_unset=True)
    query: dict[str, str] = {}
    if params.contact_id:
        record = params.contact_id
    else:  # addressed by email: HubSpot looks the contact up by that unique property
        record, query = str(params.email), {"idProperty": "email"}
        values.pop("email")
    changes = properties(values, CONTACT_PROPERTIES, params.properties)
    if not changes:
        raise PermanentStepError("HubSpot update_contact: nothing to change (give at least one property)")
    updated = await call.request(
        "PATCH",
        f"/crm/v3/objects/contacts/{quote(record, safe='')}",
        params=query,
        json={"properties": changes},
    )
    return record_ref(updated)


# --- deals ------------------------------------------------------------------------------------------

DEAL_PROPERTIES = {
    "name": "dealname",
    "stage": "dealstage",
    "pipeline": "pipeline",
    "amount": "amount",
    "close_date": "closedate",
    "owner_id": "hubspot_owner_id",
}


class CreateDealParams(Params):
    name: str = Field(min_length=1, max_length=255, description="The deal's name.")
    stage: str = Field(
        min_length=1,
        max_length=100,
        description="Internal id of the stage, e.g. appointmentscheduled, closedwon.",
    )
    pipeline: str = Field("default", min_length=1, max_length=100, description="Internal id of the pipeline.")
    amount: float | None = Field(None, ge=0, le=1e15)
    close_date: date | None = Field(None, description="Expected close date (YYYY-MM-DD).")
    owner_id: RecordId | None = Field(None, description="Id of the HubSpot user who owns the deal.")
    contact_ids: RecordIds = Field(description="Contacts the deal is with.")
    company_ids: RecordIds = Field(description="Companies the deal is with.")
    properties: OtherProperties


async def create_deal(call: ActionCall, params: CreateDealParams) -> RecordRef:
    values = params.model_dump(exclude_none=True)
    body = {
        "properties": properties(values, DEAL_PROPERTIES, params.properties),
        "associations": associations(params.contact_ids, DEAL_TO_CONTACT)
        + associations(params.company_ids, DEAL_TO_COMPANY),
    }
    return record_ref(await call.request("POST", "/crm/v3/objects/deals", json=body))


# --- activities -------------------------------------------------------------------------------------


class LogActivityParams(Params):
    kind: ActivityKind = Field("note", description="note, call (a logged call) or task (a to-do).")
    body: str = Field(min_length=1, max_length=65_000, description="What happened, in plain text.")
    title: str | None = Field(None, max_length=255, description="Call title or task subject.")
    timestamp: datetime | None = Field(
        None, description="When it happened (a task's due time); now if empty."
    )
    contact_ids: RecordIds = Field(description="Contacts the activity is about.")
    deal_ids: RecordIds = Field(description="Deals the activity is about.")

    @model_validator(mode="after")
    def _associated(self) -> LogActivityParams:
        if not (self.contact_ids or self.deal_ids):
            raise ValueError("give at least one contact_id or deal_id to log the activity on")
        return self


class ActivityRef(Result):
    id: str
    kind: ActivityKind
    timestamp: str


def activity_properties(params: LogActivityParams, timestamp: str) -> dict[str, Any]:
    # Activity bodies render as HTML in HubSpot: escape the text and keep its line breaks.
    text = html.escape(params.body).replace("\n", "<br>")
    if params.kind == "note":
        return {"hs_timestamp": timestamp, "hs_note_body": text}
    if params.kind == "call":
        return {
            "hs_timestamp": timestamp,
            "hs_call_title": params.title or "Call",
            "hs_call_body": text,
            "hs_call_status": "COMPLETED",
        }
    return {
        "hs_timestamp": timestamp,
        "hs_task_subject": params.title or params.body[:80],
        "hs_task_body": text,
        "hs_task_status": "NOT_STARTED",
    }


async def log_activity(call: ActionCall, params: LogActivityParams) -> ActivityRef:
    moment = params.timestamp or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    timestamp = moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    types = ACTIVITY_ASSOCIATIONS[params.kind]
    body = {
        "properties": activity_properties(params, timestamp),
        "associations": associations(params.contact_ids, types["contact"])
        + associations(params.deal_ids, types["deal"]),
    }
    created = await call.request("POST", f"/crm/v3/objects/{params.kind}s", json=body)
    return ActivityRef(id=str(created["id"]), kind=params.kind, timestamp=timestamp)


class HubSpotTool(IntegrationTool):
    name = "hubspot"
    label = "HubSpot"
    description = "Create and update HubSpot contacts, create deals and log notes, calls and tasks on them."
    category = "crm"
    auth_kinds = ("oauth2", "token")
    scopes = (
        "oauth",
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.objects.deals.read",
        "crm.objects.deals.write",
    )
    # HubSpot documents no PKCE, and no RFC 7009 revocation endpoint: `revoke()` DELETEs the refresh
    # token on the API instead.
    oauth = OAuthApp(
        authorize_url="https://app.hubspot.com/oauth/authorize",
        token_url="https://api.hubapi.com/oauth/v1/token",  # noqa: S106
        scopes=scopes,
        pkce=False,
    )
    api_base = "https://api.hubapi.com"
    credential_fields = (
        Field_(
            "token",
            "Private app access token",
            description="Settings → Integrations → Private apps; give it the CRM contacts and deals scopes",
        ),
    )
    actions = (
        Action("create_contact", "Create a HubSpot contact.", CreateContactParams, create_contact, RecordRef),
        Action(
            "update_contact",
            "Change properties of a HubSpot contact (by id or email).",
            UpdateContactParams,
            update_contact,
            RecordRef,
        ),
        Action(
            "create_deal",
            "Create a HubSpot deal, linked to contacts and companies.",
            CreateDealParams,
            create_deal,
            RecordRef,
        ),
        Action(
            "log_activity",
            "Log a note, call or task on HubSpot contacts or deals.",
            LogActivityParams,
            log_activity,
            ActivityRef,
        ),
    )

    async def test(self, call: ActionCall) -> dict[str, Any]:
        account = await call.request("GET", "/account-info/v3/details")
        return {"account": str(account.get("portalId")), "ui_domain": account.get("uiDomain")}

    async def revoke(self, call: ActionCall) -> bool:
        # Only OAuth grants can be revoked by API; a private-app token is rotated in HubSpot's settings.
        token = call.credentials.get("refresh_token")
        if not token:
            return False
        try:
            await call.request("DELETE", f"/oauth/v1/refresh-tokens/{quote(token, safe='')}", auth=False)
        except PermanentStepError as exc:
            if isinstance(exc.output, Mapping) and exc.output.get("status") == 400:
                return True  # BAD_REFRESH_TOKEN: already revoked or expired, nothing left to end
            raise
        return True


TOOL = HubSpotTool()
