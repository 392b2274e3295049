"""A loopback Salesforce: the login host's OAuth endpoints (authorization code with PKCE S256, refresh,
revoke; token answers carry `instance_url` and the identity URL) and the instance's REST API v62.0
sObjects (Contact, Lead), SOQL queries with `nextRecordsUrl` paging and userinfo. One server plays both.

Errors are Salesforce's: a JSON list of `{message, errorCode, fields}`, `INVALID_SESSION_ID` on a bad
token, `REQUIRED_FIELD_MISSING`, `INVALID_FIELD`, `INVALID_EMAIL_ADDRESS`, `MALFORMED_QUERY`, `NOT_FOUND`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response

from tests.fakes.rest_app import Refused, RestApp, Seen, answer

ACCESS_TOKEN = "00DXX0000001gPL!AR8AQ.sf-access"
REFRESH_TOKEN = "5Aep861sf-refresh"
ORG_ID = "00DXX0000001gPLMAY"
USER_ID = "005XX000001SvTzYAK"
DATA = "/services/data/v62.0"
CLIENT_ID = "3MVG9-connected-app-consumer-key"
CLIENT_SECRET = "connected-app-consumer-secret"
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
        self.access_tokens = {ACCESS_TOKEN}
        self.refresh_tokens = {REFRESH_TOKEN}
        self.codes: dict[str, tuple[str, str]] = {}  # code → (redirect_uri, PKCE challenge)
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._numbers = itertools.count(1)
        self.route("GET", "/services/oauth2/authorize", self.authorize, auth=False)
        self.route("POST", "/services/oauth2/token", self.token, auth=False)
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
        self.access_tokens = {ACCESS_TOKEN}
        self.refresh_tokens = {REFRESH_TOKEN}
        self.codes.clear()

    def expire_sessions(self) -> None:
        """Every access token lapses (refresh tokens still work)."""
        self.access_tokens.clear()

    def authorized(self, seen: Seen) -> bool:
        scheme, _, token = (seen.header("authorization") or "").partition(" ")
        return scheme == "Bearer" and token in self.access_tokens

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

    # --- OAuth (the login host) --------------------------------------------------------------------------
    def authorize(self, seen: Seen, params: dict[str, Any]) -> Response:
        q = seen.query
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            raise Refused(
                400, {"error": "invalid_client_id", "error_description": "client identifier invalid"}
            )
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            raise Refused(400, {"error": "invalid_request", "error_description": "missing code_challenge"})
        code = "aPrx" + secrets.token_urlsafe(12)
        self.codes[code] = (q["redirect_uri"], q["code_challenge"])
        return RedirectResponse(
            f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        )

    def _tokens(self, *, with_refresh: bool) -> dict[str, Any]:
        access = "00DXX0000001gPL!" + secrets.token_urlsafe(16)
        self.access_tokens.add(access)
        answer_body: dict[str, Any] = {
            "access_token": access,
            "instance_url": self.url,
            "id": f"{self.url}/id/{ORG_ID}/{USER_ID}",
            "token_type": "Bearer",
            "issued_at": "1764666000000",
            "signature": "c2lnbmF0dXJl",
            "scope": "api refresh_token",
        }
        if with_refresh:
            refresh = "5Aep861" + secrets.token_urlsafe(16)
            self.refresh_tokens.add(refresh)
            answer_body["refresh_token"] = refresh
        return answer_body

    def token(self, seen: Seen, params: dict[str, Any]) -> Response:
        form = seen.body if isinstance(seen.body, dict) else {}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            raise Refused(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        if form.get("grant_type") == "authorization_code":
            redirect_uri, challenge = self.codes.pop(form.get("code", ""), ("", ""))
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            verified = base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge
            if not redirect_uri or form.get("redirect_uri") != redirect_uri or not verified:
                raise Refused(400, {"error": "invalid_grant", "error_description": "authentication failure"})
            return answer(200, self._tokens(with_refresh=True))
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                raise Refused(
                    400, {"error": "invalid_grant", "error_description": "expired access/refresh token"}
                )
            return answer(200, self._tokens(with_refresh=False))  # Salesforce keeps the refresh token
        raise Refused(
            400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
        )

    def revoke(self, seen: Seen, params: dict[str, Any]) -> Response:
        token = (seen.body or {}).get("token") if isinstance(seen.body, dict) else None
        if token not in self.access_tokens | self.refresh_tokens:
            raise Refused(400, {"error": "invalid_token", "error_description": "invalid token"})
        self.access_tokens.discard(token)
        self.refresh_tokens.discard(str(token))
        self.revoked.append(str(token))
        return answer(200, None)
