"""Jira Cloud: issues (create, update, JQL search, comment, transition) over REST API v3.

httpx through `ActionCall.request` rather than an SDK: the `jira` and `atlassian-python-api` packages bring
`requests`, which would bypass the egress guard, previews and error mapping.

Two ways in. An API token (email + token, HTTP Basic) talks to the site itself (`https://acme.atlassian.net`).
OAuth 2.0 (3LO) talks to `api.atlassian.com/ex/jira/<cloud id>`; the cloud id comes from the token's
accessible resources, looked up on first use and remembered per connection and token.
Rich text (descriptions, comments) is Atlassian Document Format: plain text is wrapped into an ADF doc.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import httpx

from agentflow.errors import ValidationFailed
from agentflow.integrations.base import Action, ActionCall, ConnectContext, Field_, IntegrationTool, OAuthApp
from agentflow.integrations.providers.jira.api import ATLASSIAN_API, rest_base, site_origin
from agentflow.integrations.providers.jira.issues import (
    CreateIssueParams,
    IssueRef,
    SearchIssuesParams,
    SearchIssuesResult,
    UpdatedIssue,
    UpdateIssueParams,
    create_issue,
    search_issues,
    update_issue,
)
from agentflow.integrations.providers.jira.workflow import (
    AddCommentParams,
    CommentRef,
    TransitionIssueParams,
    TransitionResult,
    add_comment,
    transition_issue,
)


class JiraTool(IntegrationTool):
    name = "jira"
    label = "Jira"
    description = "Create, update, search, comment on and move Jira Cloud issues."
    category = "engineering"
    auth_kinds = ("oauth2", "basic")
    scopes = ("read:jira-work", "write:jira-work", "read:jira-user", "offline_access")
    # Atlassian's 3LO has no PKCE and no revocation endpoint; `audience` and `prompt` are required.
    oauth = OAuthApp(
        authorize_url="https://auth.atlassian.com/authorize",
        token_url="https://auth.atlassian.com/oauth/token",  # noqa: S106
        scopes=scopes,
        pkce=False,
        authorize_params={"audience": "api.atlassian.com", "prompt": "consent"},
    )
    api_base = ATLASSIAN_API
    credential_fields = (
        Field_("email", "Atlassian account email", secret=False),
        Field_("api_token", "API token", description="id.atlassian.com → Security → API tokens"),
    )
    config_fields = (
        Field_(
            "site_url",
            "Site URL",
            secret=False,
            required=False,  # API token connections need it (checked in `prepare`); OAuth finds the site
            description="https://your-site.atlassian.net (with OAuth: only to pick one of several sites)",
        ),
    )
    actions = (
        Action(
            "create_issue", "Create a Jira issue in a project.", CreateIssueParams, create_issue, IssueRef
        ),
        Action(
            "update_issue", "Change fields of a Jira issue.", UpdateIssueParams, update_issue, UpdatedIssue
        ),
        Action(
            "search_issues",
            "Find Jira issues with a JQL query.",
            SearchIssuesParams,
            search_issues,
            SearchIssuesResult,
            side_effect=False,
        ),
        Action("add_comment", "Comment on a Jira issue.", AddCommentParams, add_comment, CommentRef),
        Action(
            "transition_issue",
            "Move a Jira issue to another status (by transition or status name).",
            TransitionIssueParams,
            transition_issue,
            TransitionResult,
        ),
    )

    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        if credentials.get("access_token"):
            return {"Authorization": f"Bearer {credentials['access_token']}"}
        if credentials.get("email") and credentials.get("api_token"):
            pair = f"{credentials['email']}:{credentials['api_token']}".encode()
            return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
        return {}

    async def prepare(
        self, ctx: ConnectContext, config: dict[str, Any], credentials: Mapping[str, str]
    ) -> dict[str, Any]:
        # Called with the API token for token connects, with no credentials when an OAuth connect starts
        # (its site is found from the token later).
        if config.get("site_url"):
            config = {**config, "site_url": site_origin(str(config["site_url"]))}
        elif credentials.get("api_token"):
            raise ValidationFailed(
                "Jira: an API token connection needs the site URL (https://your-site.atlassian.net)"
            )
        return config

    def error_message(self, response: httpx.Response, body: Any) -> str | None:
        # {"errorMessages": ["…"], "errors": {"summary": "You must specify a summary of the issue."}}
        if isinstance(body, Mapping) and ("errorMessages" in body or "errors" in body):
            messages = [str(m) for m in body.get("errorMessages") or ()]
            errors = body.get("errors")
            if isinstance(errors, Mapping):
                messages += [f"{field}: {message}" for field, message in errors.items()]
            if messages:
                return "; ".join(messages)
        if isinstance(body, str) and body.strip():
            return body.strip()[:300]
        return super().error_message(response, body)

    async def test(self, call: ActionCall) -> dict[str, Any]:
        base, site = await rest_base(call)
        me = await call.request("GET", f"{base}/rest/api/3/myself")
        return {"account": me.get("displayName"), "account_id": me.get("accountId"), "site_url": site}


TOOL = JiraTool()
