"""Jira actions around an issue's life: comments and workflow transitions."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import Field

from agentflow.integrations.base import ActionCall, Params, Result
from agentflow.integrations.providers.jira.api import (
    MAX_TEXT,
    ExtraFields,
    IssueId,
    adf,
    browse_url,
    name_of,
    rest_base,
)
from agentflow.nodes.errors import PermanentStepError


class AddCommentParams(Params):
    issue: IssueId
    body: str = Field(
        min_length=1, max_length=MAX_TEXT, description="Comment text; blank lines split paragraphs."
    )


class CommentRef(Result):
    id: str
    issue: str
    url: str | None
    created: str | None


async def add_comment(call: ActionCall, params: AddCommentParams) -> CommentRef:
    base, site = await rest_base(call)
    comment = await call.request(
        "POST", f"{base}/rest/api/3/issue/{quote(params.issue)}/comment", json={"body": adf(params.body)}
    )
    url = browse_url(site, params.issue)
    return CommentRef(
        id=str(comment["id"]),
        issue=params.issue,
        url=f"{url}?focusedCommentId={comment['id']}" if url else None,
        created=comment.get("created"),
    )


class TransitionIssueParams(Params):
    issue: IssueId
    transition: str = Field(
        min_length=1,
        max_length=100,
        description="The transition's name or id, or the status to move to (e.g. Done, In Progress).",
    )
    comment: str | None = Field(None, max_length=MAX_TEXT, description="A comment added with the transition.")
    fields: ExtraFields = Field(default_factory=dict, description="Fields the transition screen asks for.")


class TransitionResult(Result):
    issue: str
    transition_id: str
    status: str | None = Field(None, description="The status the issue moved to.")


def _names(transition: dict[str, Any]) -> tuple[str, ...]:
    """What a person may call a transition: its id, its name, or the status it leads to."""
    target = name_of(transition.get("to")) or ""
    return str(transition.get("id")), str(transition.get("name", "")).casefold(), target.casefold()


async def transition_issue(call: ActionCall, params: TransitionIssueParams) -> TransitionResult:
    base, _ = await rest_base(call)
    path = f"{base}/rest/api/3/issue/{quote(params.issue)}/transitions"
    available = (await call.request("GET", path)).get("transitions", [])
    wanted = params.transition.strip().casefold()
    match = next((t for t in available if wanted in _names(t)), None)
    if match is None:
        names = ", ".join(f"{t.get('name')} (→ {name_of(t.get('to'))})" for t in available) or "none"
        raise PermanentStepError(
            f"Jira: {params.issue} has no transition {params.transition!r} from its current status; "
            f"available: {names}",
            code="unknown_transition",
        )
    body: dict[str, Any] = {"transition": {"id": str(match["id"])}}
    if params.fields:
        body["fields"] = params.fields
    if params.comment:
        body["update"] = {"comment": [{"add": {"body": adf(params.comment)}}]}
    await call.request("POST", path, json=body)
    return TransitionResult(
        issue=params.issue, transition_id=str(match["id"]), status=name_of(match.get("to"))
    )
