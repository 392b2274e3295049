"""A loopback Salesforce instance: REST API v62.0 sObjects (Contact, Lead), SOQL queries with
`nextRecordsUrl` paging, OAuth userinfo and token revocation.

Errors are Salesforce's: a JSON list of `{message, errorCode, fields}`, `INVALID_SESSION_ID` on a bad
token, `REQUIRED_FIELD_MISSING`, `INVALID_FIELD`, `INVALID_EMAIL_ADDRESS`, `MALFORMED_QUERY`, `NOT_FOUND`.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from starlette.responses import Response

from tests.fakes.rest_app import Refused, RestApp, Seen, answer

ACCESS_TOKEN = "00DXX0000001gPL!AR8AQ.sf-access"
REFRESH_TOKEN = "5Aep861sf-refresh"
ORG_ID = "00DXX0000001gPLMAY"
USER_ID = "005XX000001SvTzYAK"
DATA = "/services/data/v62.0"
BATCH = 2  # records per query page (Salesforce uses 2000; small here so paging is exercised)
OBJECTS = {
    "Contact": ("003", {"LastName"}),
    "Lead": ("00Q", {"LastName", "Company"}),
}
FIELDS = {
    "Contact": {"FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", "Department", "AccountId"}
    | {"LeadSource", "Description", "Tier__c"},
    "Lead": {"FirstName", "LastName", "Company", "Email", "Phone", "MobilePhone", "Title", "Status"}
    | {"LeadSource", "Website", "Description", "Industry"},
}
QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<field>\w+)\s*=\s*'(?P<value>[^']*)')?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE,
)


def error(code: str, message: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    return [{"message": message, "errorCode": code, "fields": fields or []}]


class SalesforceAPI(RestApp):
    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, dict[str, Any]] = {}  # id → {"attributes": …, fields}
        self.revoked: list[str] = []
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._numbers = itertools.count(1)
        self.route("POST", f"{DATA}/sobjects/{{sobject}}", self.create)
        self.route("PATCH", f"{DATA}/sobjects/{{sobject}}/{{record_id}}", self.update)
        self.route("GET", f"{DATA}/query", self.query)
        self.route("GET", f"{DATA}/query/{{locator}}", self.more)
        self.route("GET", "/services/oauth2/userinfo", self.userinfo)
        self.route("POST", "/services/oauth2/revoke", self.revoke, auth=False)

    def reset(self) -> None:
        super().reset()
        self.records.clear()
        self.revoked.clear()
        self._cursors.clear()

    def authorized(self, seen: Seen) -> bool:
        return seen.header("authorization") == f"Bearer {ACCESS_TOKEN}"

    def unauthorized(self) -> Response:
        return answer(401, error("INVALID_SESSION_ID", "Session expired or invalid"))

    def _check(self, sobject: str, values: dict[str, Any]) -> None:
        unknown = [name for name in values if name not in FIELDS[sobject]]
        if unknown:
            raise Refused(
                400, error("INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {sobject}")
            )
        email = values.get("Email")
        if email is not None and "@" not in str(email):
            raise Refused(
                400, error("INVALID_EMAIL_ADDRESS", f"Email: invalid email address: {email}", ["Email"])
            )

    def create(self, seen: Seen, params: dict[str, Any]) -> Response:
        sobject = params["sobject"]
        if sobject not in OBJECTS:
            raise Refused(404, error("NOT_FOUND", "The requested resource does not exist"))
        values = dict(seen.body or {})
        self._check(sobject, values)
        missing = sorted(name for name in OBJECTS[sobject][1] if not values.get(name))
        if missing:
            raise Refused(
                400,
                error(
                    "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
                ),
            )
        record_id = f"{OBJECTS[sobject][0]}Dn{next(self._numbers):010d}AAA"
        self.records[record_id] = {"attributes": {"type": sobject}, "Id": record_id, **values}
        return answer(201, {"id": record_id, "success": True, "errors": []})

    def update(self, seen: Seen, params: dict[str, Any]) -> Response:
        record = self.records.get(params["record_id"])
        if record is None or record["attributes"]["type"] != params["sobject"]:
            raise Refused(404, error("NOT_FOUND", "The requested resource does not exist"))
        values = dict(seen.body or {})
        self._check(params["sobject"], values)
        cleared = [name for name in OBJECTS[params["sobject"]][1] if name in values and not values[name]]
        if cleared:
            raise Refused(
                400, error("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{cleared[0]}]", cleared)
            )
        record.update(values)
        return answer(204, None)

    def _page(self, rows: list[dict[str, Any]], total: int) -> dict[str, Any]:
        page, rest = rows[:BATCH], rows[BATCH:]
        body: dict[str, Any] = {"totalSize": total, "done": not rest, "records": page}
        if rest:
            locator = f"01gXX{next(self._numbers):07d}-{total - len(rest)}"
            self._cursors[locator] = rest
            body["nextRecordsUrl"] = f"{DATA}/query/{locator}"
        return body

    def query(self, seen: Seen, params: dict[str, Any]) -> Response:
        soql = seen.query.get("q", "")
        parsed = QUERY.match(soql)
        if not parsed or parsed["object"] not in OBJECTS:
            raise Refused(
                400, error("MALFORMED_QUERY", f"unexpected token: '{soql.split()[-1] if soql else ''}'")
            )
        wanted = [name.strip() for name in parsed["fields"].split(",")]
        sobject = parsed["object"]
        rows = [
            {
                "attributes": {"type": sobject, "url": f"{DATA}/sobjects/{sobject}/{r['Id']}"},
                **{name: r.get(name) for name in wanted},
            }
            for r in self.records.values()
            if r["attributes"]["type"] == sobject
            and (not parsed["field"] or str(r.get(parsed["field"])) == parsed["value"])
        ]
        if parsed["limit"]:
            rows = rows[: int(parsed["limit"])]
        return answer(200, self._page(rows, len(rows)))

    def more(self, seen: Seen, params: dict[str, Any]) -> Response:
        rows = self._cursors.pop(params["locator"], None)
        if rows is None:
            raise Refused(400, error("INVALID_QUERY_LOCATOR", "invalid query locator"))
        total = int(params["locator"].rsplit("-", 1)[1]) + len(rows)
        return answer(200, self._page(rows, total))

    def userinfo(self, seen: Seen, params: dict[str, Any]) -> Response:
        return answer(
            200,
            {
                "user_id": USER_ID,
                "organization_id": ORG_ID,
                "preferred_username": "ada@acme.example",
                "email": "ada@acme.example",
            },
        )

    def revoke(self, seen: Seen, params: dict[str, Any]) -> Response:
        token = (seen.body or {}).get("token") if isinstance(seen.body, dict) else None
        if token not in (ACCESS_TOKEN, REFRESH_TOKEN) or token in self.revoked:
            raise Refused(400, {"error": "invalid_token", "error_description": "invalid token"})
        self.revoked.append(token)
        return answer(200, None)
