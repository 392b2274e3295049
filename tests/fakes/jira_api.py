"""A loopback Jira Cloud: REST API v3 on the site (HTTP Basic with email + API token) and the same API
under `/ex/jira/<cloud id>` with an OAuth bearer token, plus `/oauth/token/accessible-resources`.

It keeps issues, comments and a To Do → In Progress → Done workflow in memory and refuses what Jira
refuses: unknown projects or issue types, a missing summary, rich text that is not ADF, labels with
spaces, unbounded JQL, transitions not offered from the current status.
"""

from __future__ import annotations

import base64
import itertools
import re
from typing import Any

from starlette.responses import Response

from tests.fakes.rest_app import Refused, RestApp, Seen, answer

EMAIL = "ada@example.com"
API_TOKEN = "ATATT3xFfGF0-jira-test-token"
ACCESS_TOKEN = "eyJhbGciOi-atlassian-oauth-access"
CLOUD_ID = "11223344-a1b2-3b33-c444-def123456789"
ACCOUNT_ID = "5b10ac8d82e05b22cc7d4ef5"
PROJECTS = {"ENG": ("Task", "Bug", "Story"), "OPS": ("Task",)}
WORKFLOW = {  # status → transitions offered from it
    "To Do": [("11", "Start progress", "In Progress"), ("31", "Done", "Done")],
    "In Progress": [("21", "Stop progress", "To Do"), ("31", "Done", "Done")],
    "Done": [("41", "Reopen", "To Do")],
}
NOT_FOUND = {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}


def is_adf(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "doc" and value.get("version") == 1


class JiraAPI(RestApp):
    def __init__(self) -> None:
        super().__init__()
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.access_tokens = {ACCESS_TOKEN}  # OAuth tokens accepted (an OAuth server fake may add more)
        self._ids = itertools.count(10001)
        for prefix in ("", "/ex/jira/{cloud_id}"):
            api = f"{prefix}/rest/api/3"
            self.route("POST", f"{api}/issue", self.create_issue)
            self.route("PUT", f"{api}/issue/{{key}}", self.update_issue)
            self.route("GET", f"{api}/search/jql", self.search)
            self.route("POST", f"{api}/issue/{{key}}/comment", self.add_comment)
            self.route("GET", f"{api}/issue/{{key}}/transitions", self.transitions)
            self.route("POST", f"{api}/issue/{{key}}/transitions", self.transition)
            self.route("GET", f"{api}/myself", self.myself)
            # Jira Cloud retired this one; a client still calling it gets what Jira answers now.
            self.route("GET", f"{api}/search", lambda _s, _p: answer(410, {"errorMessages": ["Gone"]}))
        self.route("GET", "/oauth/token/accessible-resources", self.resources)

    def reset(self) -> None:
        super().reset()
        self.issues.clear()
        self.comments.clear()
        self.access_tokens = {ACCESS_TOKEN}

    # --- auth -------------------------------------------------------------------------------------------
    def authorized(self, seen: Seen) -> bool:
        if seen.path.startswith("/ex/jira/") or seen.path.startswith("/oauth/"):
            scheme, _, token = (seen.header("authorization") or "").partition(" ")
            return scheme == "Bearer" and token in self.access_tokens
        pair = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
        return seen.header("authorization") == f"Basic {pair}"

    def unauthorized(self) -> Response:
        return answer(401, "Client must be authenticated to access this resource.")

    def base(self, seen: Seen) -> str:
        return f"{self.url}/ex/jira/{CLOUD_ID}" if seen.path.startswith("/ex/") else self.url

    def _issue(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("cloud_id", CLOUD_ID) != CLOUD_ID:
            raise Refused(404, {"errorMessages": ["Site not found"], "errors": {}})
        issue = self.issues.get(params["key"]) or next(
            (i for i in self.issues.values() if i["id"] == params["key"]), None
        )
        if issue is None:
            raise Refused(404, NOT_FOUND)
        return issue

    # --- issues -----------------------------------------------------------------------------------------
    def _check_fields(self, fields: dict[str, Any], errors: dict[str, str]) -> None:
        for name in ("description", "environment"):
            if fields.get(name) is not None and not is_adf(fields[name]):
                errors[name] = (
                    "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                )
        for label in fields.get("labels") or ():
            if " " in label:
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."

    def create_issue(self, seen: Seen, params: dict[str, Any]) -> Response:
        fields = (seen.body or {}).get("fields") or {}
        errors: dict[str, str] = {}
        project = str((fields.get("project") or {}).get("key"))
        if project not in PROJECTS:
            errors["project"] = "valid project is required"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if project in PROJECTS and (fields.get("issuetype") or {}).get("name") not in PROJECTS[project]:
            errors["issuetype"] = "Specify a valid issue type"
        self._check_fields(fields, errors)
        if errors:
            raise Refused(400, {"errorMessages": [], "errors": errors})
        issue_id = str(next(self._ids))
        key = f"{project}-{len([k for k in self.issues if k.startswith(project + '-')]) + 1}"
        self.issues[key] = {"id": issue_id, "key": key, "fields": {**fields, "status": {"name": "To Do"}}}
        return answer(
            201, {"id": issue_id, "key": key, "self": f"{self.base(seen)}/rest/api/3/issue/{issue_id}"}
        )

    def update_issue(self, seen: Seen, params: dict[str, Any]) -> Response:
        issue = self._issue(params)
        fields = (seen.body or {}).get("fields") or {}
        errors: dict[str, str] = {}
        if "summary" in fields and not fields["summary"]:
            errors["summary"] = "You must specify a summary of the issue."
        self._check_fields(fields, errors)
        if errors:
            raise Refused(400, {"errorMessages": [], "errors": errors})
        issue["fields"].update(fields)
        return answer(204, None)

    def search(self, seen: Seen, params: dict[str, Any]) -> Response:
        jql = seen.query.get("jql", "")
        if jql.count('"') % 2:
            raise Refused(
                400, {"errorMessages": [f"Error in the JQL Query: unterminated string in '{jql}'."]}
            )
        restriction = jql.split("ORDER BY")[0]
        project = re.search(r"project\s*=\s*\"?(\w+)\"?", restriction, re.I)
        if not project:
            raise Refused(
                400,
                {
                    "errorMessages": [
                        "Unbounded JQL queries are not allowed here. "
                        "Please add a search restriction to your query."
                    ],
                    "errors": {},
                },
            )
        status = re.search(r"status\s*=\s*\"([^\"]+)\"", restriction, re.I)
        found = [
            i
            for k, i in self.issues.items()
            if k.startswith(project.group(1).upper() + "-")
            and (not status or i["fields"]["status"]["name"] == status.group(1))
        ]
        start = int(seen.query.get("nextPageToken") or 0)
        size = int(seen.query.get("maxResults", 50))
        wanted = seen.query.get("fields", "id").split(",")
        page = found[start : start + size]
        body: dict[str, Any] = {
            "issues": [
                {"id": i["id"], "key": i["key"], "fields": {f: i["fields"].get(f) for f in wanted}}
                for i in page
            ],
            "isLast": start + size >= len(found),
        }
        if not body["isLast"]:
            body["nextPageToken"] = str(start + size)
        return answer(200, body)

    # --- comments and workflow --------------------------------------------------------------------------
    def add_comment(self, seen: Seen, params: dict[str, Any]) -> Response:
        issue = self._issue(params)
        body = (seen.body or {}).get("body")
        if not is_adf(body):
            raise Refused(400, {"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}})
        comment = {"id": str(next(self._ids)), "body": body, "created": "2026-12-02T09:00:00.000+0000"}
        self.comments.setdefault(issue["key"], []).append(comment)
        return answer(201, {**comment, "self": f"{self.base(seen)}/rest/api/3/issue/{issue['id']}/comment/1"})

    def _offered(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        status = issue["fields"]["status"]["name"]
        return [{"id": i, "name": n, "to": {"name": to}} for i, n, to in WORKFLOW[status]]

    def transitions(self, seen: Seen, params: dict[str, Any]) -> Response:
        return answer(200, {"expand": "transitions", "transitions": self._offered(self._issue(params))})

    def transition(self, seen: Seen, params: dict[str, Any]) -> Response:
        issue = self._issue(params)
        wanted = str(((seen.body or {}).get("transition") or {}).get("id"))
        match = next((t for t in self._offered(issue) if t["id"] == wanted), None)
        if match is None:
            raise Refused(400, {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."]})
        for change in ((seen.body or {}).get("update") or {}).get("comment", []):
            if not is_adf(change["add"]["body"]):
                raise Refused(400, {"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}})
            self.comments.setdefault(issue["key"], []).append(change["add"])
        issue["fields"]["status"] = {"name": match["to"]["name"]}
        return answer(204, None)

    def myself(self, seen: Seen, params: dict[str, Any]) -> Response:
        return answer(200, {"accountId": ACCOUNT_ID, "displayName": "Ada Lovelace", "emailAddress": EMAIL})

    def resources(self, seen: Seen, params: dict[str, Any]) -> Response:
        return answer(
            200,
            [
                {
                    "id": "99999999-confluence-only",
                    "url": "https://wiki.example.net",
                    "scopes": ["read:confluence"],
                },
                {
                    "id": CLOUD_ID,
                    "url": "https://acme.atlassian.net",
                    "name": "acme",
                    "scopes": ["read:jira-work"],
                },
            ],
        )
