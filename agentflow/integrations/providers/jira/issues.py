"""Jira actions on issues themselves: create, update, JQL search."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import Field

from agentflow.integrations.base import ActionCall, Params, Result
from agentflow.integrations.providers.jira.api import (
    MAX_TEXT,
    PROJECT_KEY,
    SEARCH_FIELDS,
    ExtraFields,
    IssueId,
    Label,
    adf,
    browse_url,
    name_of,
    rest_base,
)
from agentflow.nodes.errors import PermanentStepError


class CreateIssueParams(Params):
    project: str = Field(pattern=PROJECT_KEY, description="Project key, e.g. ENG.")
    summary: str = Field(min_length=1, max_length=255, description="One-line title of the issue.")
    issue_type: str = Field("Task", min_length=1, max_length=60, description="Task, Bug, Story, Epic, …")
    description: str | None = Field(
        None, max_length=MAX_TEXT, description="Plain text; blank lines split paragraphs."
    )
    labels: list[Label] = Field(default_factory=list, max_length=20, description="Labels (no spaces).")
    priority: str | None = Field(None, max_length=60, description="Priority name, e.g. High.")
    assignee_account_id: str | None = Field(
        None, max_length=128, description="Atlassian account id of the assignee."
    )
    parent: IssueId | None = Field(None, description="Parent issue key (for sub-tasks and epic children).")
    fields: ExtraFields = Field(default_factory=dict)


class IssueRef(Result):
    id: str
    key: str
    url: str | None = Field(None, description="The issue in Jira's web UI.")


async def create_issue(call: ActionCall, params: CreateIssueParams) -> IssueRef:
    base, site = await rest_base(call)
    fields: dict[str, Any] = {
        "project": {"key": params.project},
        "summary": params.summary,
        "issuetype": {"name": params.issue_type},
    }
    if params.description:
        fields["description"] = adf(params.description)
    if params.labels:
        fields["labels"] = params.labels
    if params.priority:
        fields["priority"] = {"name": params.priority}
    if params.assignee_account_id:
        fields["assignee"] = {"accountId": params.assignee_account_id}
    if params.parent:
        fields["parent"] = {"key": params.parent}
    created = await call.request(
        "POST", f"{base}/rest/api/3/issue", json={"fields": {**fields, **params.fields}}
    )
    return IssueRef(id=str(created["id"]), key=created["key"], url=browse_url(site, created["key"]))


class UpdateIssueParams(Params):
    issue: IssueId
    summary: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=MAX_TEXT, description="Replaces the description.")
    labels: list[Label] | None = Field(None, max_length=20, description="Replaces the labels.")
    priority: str | None = Field(None, max_length=60)
    assignee_account_id: str | None = Field(None, max_length=128, description="Account id; empty unassigns.")
    fields: ExtraFields = Field(default_factory=dict)
    notify_users: bool = Field(True, description="Whether watchers get an email about the change.")


class UpdatedIssue(Result):
    issue: str
    url: str | None


async def update_issue(call: ActionCall, params: UpdateIssueParams) -> UpdatedIssue:
    base, site = await rest_base(call)
    fields: dict[str, Any] = {}
    if params.summary is not None:
        fields["summary"] = params.summary
    if params.description is not None:
        fields["description"] = adf(params.description) if params.description else None
    if params.labels is not None:
        fields["labels"] = params.labels
    if params.priority:
        fields["priority"] = {"name": params.priority}
    if params.assignee_account_id is not None:
        fields["assignee"] = {"accountId": params.assignee_account_id} if params.assignee_account_id else None
    fields |= params.fields
    if not fields:
        raise PermanentStepError("Jira update_issue: nothing to change (give at least one field)")
    await call.request(
        "PUT",
        f"{base}/rest/api/3/issue/{quote(params.issue)}",
        params={"notifyUsers": str(params.notify_users).lower()},
        json={"fields": fields},
    )
    return UpdatedIssue(issue=params.issue, url=browse_url(site, params.issue))


class SearchIssuesParams(Params):
    jql: str = Field(
        min_length=1,
        max_length=4000,
        description="JQL with a restriction (Jira refuses unbounded queries), e.g. "
        'project = ENG AND status = "In Progress" ORDER BY updated DESC.',
    )
    max_results: int = Field(20, ge=1, le=100, description="How many issues to return (one page).")
    page_token: str | None = Field(None, max_length=2000, description="next_page_token of a previous search.")


class FoundIssue(Result):
    id: str
    key: str
    url: str | None
    summary: str | None
    status: str | None
    issue_type: str | None
    priority: str | None
    assignee: str | None
    labels: list[str]
    created: str | None
    updated: str | None


class SearchIssuesResult(Result):
    issues: list[FoundIssue]
    next_page_token: str | None = Field(None, description="Pass as page_token for the next page.")


async def search_issues(call: ActionCall, params: SearchIssuesParams) -> SearchIssuesResult:
    base, site = await rest_base(call)
    query: dict[str, Any] = {"jql": params.jql, "maxResults": params.max_results, "fields": SEARCH_FIELDS}
    if params.page_token:
        query["nextPageToken"] = params.page_token
    # The enhanced search (`/search/jql`); `/rest/api/3/search` is gone from Jira Cloud.
    page = await call.request("GET", f"{base}/rest/api/3/search/jql", params=query)
    issues = []
    for issue in page.get("issues", []):
        fields = issue.get("fields") or {}
        issues.append(
            FoundIssue(
                id=str(issue["id"]),
                key=issue["key"],
                url=browse_url(site, issue["key"]),
                summary=fields.get("summary"),
                status=name_of(fields.get("status")),
                issue_type=name_of(fields.get("issuetype")),
                priority=name_of(fields.get("priority")),
                assignee=name_of(fields.get("assignee"), "displayName"),
                labels=list(fields.get("labels") or []),
                created=fields.get("created"),
                updated=fields.get("updated"),
            )
        )
    return SearchIssuesResult(
        issues=issues, next_page_token=None if page.get("isLast", True) else page.get("nextPageToken")
    )
