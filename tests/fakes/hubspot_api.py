"""A loopback HubSpot: CRM v3 objects (contacts, deals, notes, calls, tasks) with associations created
inline, account info, and OAuth refresh-token revocation.

Errors are HubSpot's `{status: "error", message, category, correlationId}`: `INVALID_AUTHENTICATION` on a
bad token, `VALIDATION_ERROR` for unknown properties, bad stages or association types, `CONFLICT` for a
duplicate email, `OBJECT_NOT_FOUND`.
"""

from __future__ import annotations

import itertools
from typing import Any

from starlette.responses import Response

from tests.fakes.rest_app import Refused, RestApp, Seen, answer

PRIVATE_APP_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
OAUTH_TOKEN = "CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4"
REFRESH_TOKEN = "6f18f21e-a743-4509-b7fd-1a5e632fffa1"
PORTAL_ID = 62515
COMPANY_ID = "5001"
CONTACT_PROPERTIES = {"email", "firstname", "lastname", "phone", "company", "jobtitle", "website"} | {
    "lifecyclestage",
    "hs_lead_status",
}
DEAL_PROPERTIES = {"dealname", "dealstage", "pipeline", "amount", "closedate", "hubspot_owner_id", "dealtype"}
STAGES = {"default": {"appointmentscheduled", "qualifiedtobuy", "contractsent", "closedwon", "closedlost"}}
ACTIVITY_PROPERTIES = {
    "notes": ({"hs_timestamp", "hs_note_body"}, "hs_note_body"),
    "calls": ({"hs_timestamp", "hs_call_title", "hs_call_body", "hs_call_status"}, "hs_call_body"),
    "tasks": ({"hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_status"}, "hs_task_subject"),
}
# (from object, HUBSPOT_DEFINED type id) → the object type the id must be
ASSOCIATION_TYPES = {
    ("deals", 3): "contacts",
    ("deals", 5): "companies",
    ("notes", 202): "contacts",
    ("notes", 214): "deals",
    ("calls", 194): "contacts",
    ("calls", 206): "deals",
    ("tasks", 204): "contacts",
    ("tasks", 216): "deals",
}
NOW = "2026-12-02T09:00:00.000Z"


def failure(status: int, category: str, message: str) -> Refused:
    return Refused(
        status,
        {"status": "error", "message": message, "correlationId": "5e4d1f3e-8b1b-4c5a", "category": category},
    )


class HubSpotAPI(RestApp):
    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.revoked: list[str] = []
        self.reset()
        self.route("POST", "/crm/v3/objects/contacts", self.create_contact)
        self.route("PATCH", "/crm/v3/objects/contacts/{record}", self.update_contact)
        self.route("POST", "/crm/v3/objects/deals", self.create_deal)
        for kind in ACTIVITY_PROPERTIES:
            self.route("POST", f"/crm/v3/objects/{kind}", self.activity(kind))
        self.route("GET", "/account-info/v3/details", self.account)
        self.route("DELETE", "/oauth/v1/refresh-tokens/{token}", self.revoke, auth=False)

    def reset(self) -> None:
        super().reset()
        self.objects = {"contacts": {}, "companies": {COMPANY_ID: {"id": COMPANY_ID}}, "deals": {}}
        self.objects |= {kind: {} for kind in ACTIVITY_PROPERTIES}
        self._ids = itertools.count(101)
        self.revoked.clear()

    def authorized(self, seen: Seen) -> bool:
        return seen.header("authorization") in (f"Bearer {PRIVATE_APP_TOKEN}", f"Bearer {OAUTH_TOKEN}")

    def unauthorized(self) -> Response:
        refused = failure(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
        )
        return answer(refused.status, refused.body)

    # --- records ----------------------------------------------------------------------------------------
    def _properties(self, seen: Seen, known: set[str]) -> dict[str, Any]:
        properties = dict((seen.body or {}).get("properties") or {})
        unknown = sorted(set(properties) - known)
        if unknown:
            raise failure(
                400,
                "VALIDATION_ERROR",
                f'Property values were not valid: [{{"isValid":false,"message":"Property \\"{unknown[0]}\\" '
                f'does not exist","error":"PROPERTY_DOESNT_EXIST","name":"{unknown[0]}"}}]',
            )
        if any(
            not isinstance(value, (str, int, float, bool)) and value is not None
            for value in properties.values()
        ):
            raise failure(400, "VALIDATION_ERROR", "Invalid input JSON: property values must be scalars")
        return properties

    def _store(self, kind: str, properties: dict[str, Any], associations: list[Any]) -> dict[str, Any]:
        for association in associations:
            for association_type in association.get("types", []):
                target = ASSOCIATION_TYPES.get((kind, association_type.get("associationTypeId")))
                if association_type.get("associationCategory") != "HUBSPOT_DEFINED" or target is None:
                    raise failure(
                        400, "VALIDATION_ERROR", f"Invalid association type for {kind}: {association_type}"
                    )
                if str(association["to"]["id"]) not in self.objects[target]:
                    raise failure(
                        400,
                        "VALIDATION_ERROR",
                        f"One or more associations are invalid: {target} {association['to']}",
                    )
        record_id = str(next(self._ids))
        record = {
            "id": record_id,
            "properties": {**properties, "hs_object_id": record_id},
            "associations": associations,
            "createdAt": NOW,
            "updatedAt": NOW,
            "archived": False,
        }
        self.objects[kind][record_id] = record
        return record

    @staticmethod
    def _public(record: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in record.items() if key != "associations"}

    def create_contact(self, seen: Seen, params: dict[str, Any]) -> Response:
        properties = self._properties(seen, CONTACT_PROPERTIES)
        email = properties.get("email")
        if email is not None and "@" not in str(email):
            raise failure(
                400, "VALIDATION_ERROR", f'Property values were not valid: "{email}" is not a valid email'
            )
        existing = next(
            (
                r["id"]
                for r in self.objects["contacts"].values()
                if email and r["properties"].get("email") == email
            ),
            None,
        )
        if existing:
            raise failure(409, "CONFLICT", f"Contact already exists. Existing ID: {existing}")
        record = self._store("contacts", properties, (seen.body or {}).get("associations") or [])
        return answer(201, self._public(record))

    def update_contact(self, seen: Seen, params: dict[str, Any]) -> Response:
        contacts = self.objects["contacts"]
        if seen.query.get("idProperty") == "email":
            record = next(
                (r for r in contacts.values() if r["properties"].get("email") == params["record"]), None
            )
        else:
            record = contacts.get(params["record"])
        if record is None:
            raise failure(404, "OBJECT_NOT_FOUND", "resource not found")
        record["properties"].update(self._properties(seen, CONTACT_PROPERTIES))
        record["updatedAt"] = "2026-12-02T10:00:00.000Z"
        return answer(200, self._public(record))

    def create_deal(self, seen: Seen, params: dict[str, Any]) -> Response:
        properties = self._properties(seen, DEAL_PROPERTIES)
        pipeline = properties.get("pipeline", "default")
        if not properties.get("dealname"):
            raise failure(400, "VALIDATION_ERROR", "Property values were not valid: dealname is required")
        if properties.get("dealstage") not in STAGES.get(pipeline, set()):
            raise failure(
                400,
                "VALIDATION_ERROR",
                f"Property values were not valid: {properties.get('dealstage')!r} is not a valid stage of "
                f"pipeline {pipeline!r}",
            )
        record = self._store("deals", properties, (seen.body or {}).get("associations") or [])
        return answer(201, self._public(record))

    def activity(self, kind: str) -> Any:
        known, required = ACTIVITY_PROPERTIES[kind]

        def create(seen: Seen, params: dict[str, Any]) -> Response:
            properties = self._properties(seen, known)
            if not properties.get("hs_timestamp"):
                raise failure(
                    400, "VALIDATION_ERROR", "Property values were not valid: hs_timestamp is required"
                )
            if not properties.get(required):
                raise failure(
                    400, "VALIDATION_ERROR", f"Property values were not valid: {required} is required"
                )
            record = self._store(kind, properties, (seen.body or {}).get("associations") or [])
            return answer(201, self._public(record))

        return create

    # --- account and OAuth ------------------------------------------------------------------------------
    def account(self, seen: Seen, params: dict[str, Any]) -> Response:
        return answer(
            200,
            {
                "portalId": PORTAL_ID,
                "accountType": "STANDARD",
                "uiDomain": "app.hubspot.com",
                "timeZone": "UTC",
            },
        )

    def revoke(self, seen: Seen, params: dict[str, Any]) -> Response:
        if params["token"] != REFRESH_TOKEN or params["token"] in self.revoked:
            raise Refused(400, {"status": "BAD_REFRESH_TOKEN", "message": "refresh token is invalid"})
        self.revoked.append(params["token"])
        return answer(204, None)
