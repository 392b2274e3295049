"""GitHub: issues, comments, pull requests and reviews through the REST API (httpx via `ActionCall.request`:
PyGithub uses requests, which would bypass the egress guard). OAuth app or personal access token; the API
base is overridable for GitHub Enterprise Server (`https://<host>/api/v3`)."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import Field

from agentflow.errors import ValidationFailed
from agentflow.integrations.base import (
    Action,
    ActionCall,
    ConnectContext,
    Connection,
    Field_,
    IntegrationTool,
    OAuthApp,
    Params,
    Result,
)

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
# GitHub's own rules for account and repository names (no slashes, so a value never leaves its segment).
NAME = r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})$"


class _Repo(Params):
    owner: str = Field(
        pattern=NAME, max_length=100, description="The account or organization, e.g. `octocat`."
    )
    repo: str = Field(pattern=NAME, max_length=100, description="The repository name, e.g. `hello-world`.")


def _repo_path(params: _Repo, *rest: str | int) -> str:
    parts = [
        quote(params.owner, safe=""),
        quote(params.repo, safe=""),
        *(quote(str(p), safe="") for p in rest),
    ]
    return "/repos/" + "/".join(parts)


async def _send(call: ActionCall, method: str, path: str, **kwargs: Any) -> Any:
    return await call.request(method, path, headers=HEADERS, **kwargs)


class CreateIssue(_Repo):
    title: str = Field(min_length=1, max_length=256)
    body: str | None = Field(default=None, max_length=65_536, description="Markdown.")
    labels: list[str] = Field(default_factory=list, max_length=50)
    assignees: list[str] = Field(default_factory=list, max_length=10)


class IssueResult(Result):
    number: int
    url: str = Field(description="The issue's page.")
    id: int
    state: str


async def create_issue(call: ActionCall, params: CreateIssue) -> IssueResult:
    body: dict[str, Any] = {"title": params.title}
    if params.body is not None:
        body["body"] = params.body
    if params.labels:
        body["labels"] = params.labels
    if params.assignees:
        body["assignees"] = params.assignees
    answer = await _send(call, "POST", _repo_path(params, "issues"), json=body)
    return IssueResult(
        number=answer["number"], url=answer["html_url"], id=answer["id"], state=answer["state"]
    )


class Comment(_Repo):
    issue_number: int = Field(ge=1, description="The issue's or pull request's number.")
    body: str = Field(min_length=1, max_length=65_536, description="Markdown.")


class CommentResult(Result):
    id: int
    url: str


async def comment(call: ActionCall, params: Comment) -> CommentResult:
    answer = await _send(
        call,
        "POST",
        _repo_path(params, "issues", params.issue_number, "comments"),
        json={"body": params.body},
    )
    return CommentResult(id=answer["id"], url=answer["html_url"])


class ListPullRequests(_Repo):
    state: Literal["open", "closed", "all"] = "open"
    base: str | None = Field(default=None, max_length=255, description="Only pull requests into this branch.")
    per_page: int = Field(default=30, ge=1, le=100)


class PullRequest(Result):
    number: int
    title: str
    state: str
    url: str
    author: str | None
    head: str
    base: str
    draft: bool


class PullRequestList(Result):
    pull_requests: list[PullRequest]


async def list_pull_requests(call: ActionCall, params: ListPullRequests) -> PullRequestList:
    query: dict[str, Any] = {"state": params.state, "per_page": params.per_page}
    if params.base:
        query["base"] = params.base
    answer = await _send(call, "GET", _repo_path(params, "pulls"), params=query)
    return PullRequestList(
        pull_requests=[
            PullRequest(
                number=pr["number"],
                title=pr["title"],
                state=pr["state"],
                url=pr["html_url"],
                author=(pr.get("user") or {}).get("login"),
                head=(pr.get("head") or {}).get("ref", ""),
                base=(pr.get("base") or {}).get("ref", ""),
                draft=bool(pr.get("draft")),
            )
            for pr in answer
        ]
    )


class ReviewComment(Params):
    path: str = Field(min_length=1, max_length=1000, description="The file, relative to the repository root.")
    line: int = Field(ge=1, description="The line of the diff's new version the comment is on.")
    body: str = Field(min_length=1, max_length=65_536)


class CreateReview(_Repo):
    pull_number: int = Field(ge=1)
    event: Literal["APPROVE", "REQUEST_CHANGES", "COMMENT"] = Field(
        description="`REQUEST_CHANGES` and `COMMENT` need a body."
    )
    body: str | None = Field(default=None, max_length=65_536)
    comments: list[ReviewComment] = Field(default_factory=list, max_length=50)


class ReviewResult(Result):
    id: int
    state: str
    url: str


async def create_pull_request_review(call: ActionCall, params: CreateReview) -> ReviewResult:
    body: dict[str, Any] = {"event": params.event}
    if params.body is not None:
        body["body"] = params.body
    if params.comments:
        body["comments"] = [c.model_dump() for c in params.comments]
    answer = await _send(call, "POST", _repo_path(params, "pulls", params.pull_number, "reviews"), json=body)
    return ReviewResult(id=answer["id"], state=answer["state"], url=answer["html_url"])


class GitHub(IntegrationTool):
    name = "github"
    label = "GitHub"
    description = "Open issues, comment on issues and pull requests, list pull requests and review them."
    category = "engineering"
    auth_kinds = ("oauth2", "token")
    scopes = ("repo",)
    oauth = OAuthApp(
        authorize_url="https://github.com/login/oauth/authorize",
        token_url="https://github.com/login/oauth/access_token",  # noqa: S106
        scopes=("repo",),
        scope_separator=" ",
    )
    api_base = "https://api.github.com"
    credential_fields = (
        Field_(
            "token",
            "Personal access token",
            description="A fine-grained or classic token with access to the repositories (Issues and Pull "
            "requests: read and write).",
        ),
    )
    config_fields = (
        Field_(
            "api_base",
            "API URL",
            secret=False,
            required=False,
            description="GitHub Enterprise Server: `https://<host>/api/v3`. Empty for github.com.",
        ),
    )
    actions = (
        Action("create_issue", "Open an issue in a repository.", CreateIssue, create_issue, IssueResult),
        Action("comment", "Comment on an issue or pull request.", Comment, comment, CommentResult),
        Action(
            "list_pull_requests",
            "List a repository's pull requests.",
            ListPullRequests,
            list_pull_requests,
            PullRequestList,
            side_effect=False,
        ),
        Action(
            "create_pull_request_review",
            "Approve, request changes on, or comment on a pull request.",
            CreateReview,
            create_pull_request_review,
            ReviewResult,
        ),
    )

    def error_message(self, response: httpx.Response, body: Any) -> str | None:
        """GitHub's `{message, errors: [{resource, field, code}]}`: the field-level reasons matter."""
        message = super().error_message(response, body)
        if isinstance(body, Mapping) and isinstance(body.get("errors"), list):
            reasons = []
            for error in body["errors"][:5]:
                if isinstance(error, Mapping):
                    reasons.append(
                        str(
                            error.get("message")
                            or f"{error.get('field', '?')} {error.get('code', 'invalid')}"
                        )
                    )
                elif isinstance(error, str):
                    reasons.append(error)
            if reasons:
                return f"{message or 'Validation Failed'}: {'; '.join(reasons)}"
        return message

    def api_base_for(self, api_base: str, connection: Connection) -> str:
        custom = connection.config.get("api_base")
        return str(custom).rstrip("/") if custom else api_base

    async def prepare(
        self, ctx: ConnectContext, config: dict[str, Any], credentials: Mapping[str, str]
    ) -> dict[str, Any]:
        unknown = sorted(set(config) - {"api_base"})
        if unknown:
            raise ValidationFailed(f"GitHub has no setting {unknown[0]!r}", code="unknown_config")
        api_base = config.get("api_base")
        if api_base in (None, ""):
            return {}
        if (
            not isinstance(api_base, str)
            or len(api_base) > 500
            or not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", api_base)
        ):
            raise ValidationFailed(
                "api_base must be an http(s) URL such as https://github.example.com/api/v3"
            )
        return {"api_base": api_base.rstrip("/")}

    async def test(self, call: ActionCall) -> dict[str, Any]:
        user = await _send(call, "GET", "/user")
        return {"account": user.get("login")}

    async def revoke(self, call: ActionCall) -> bool:
        """OAuth grants are revoked with the app's own credentials (basic auth); personal access tokens have
        no such endpoint (their owner revokes them in GitHub's settings)."""
        client_id, secret = (
            call.credentials.get("oauth.client_id"),
            call.credentials.get("oauth.client_secret"),
        )
        token = call.credentials.get("access_token")
        if not (client_id and secret and token):
            return False
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        await call.request(
            "DELETE",
            f"/applications/{quote(client_id, safe='')}/grant",
            headers={**HEADERS, "Authorization": f"Basic {basic}"},
            json={"access_token": token},
            auth=False,
        )
        return True


TOOL = GitHub()
