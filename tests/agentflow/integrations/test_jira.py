"""Jira against a loopback Jira Cloud: each action's request on the wire, both ways in (API token on the
site, OAuth through api.atlassian.com), Jira's errors, previews and params bounds."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from agentflow.errors import ValidationFailed
from agentflow.integrations.base import ActionCall, AuthExpired, ConnectContext, Previewed
from agentflow.integrations.providers.jira import TOOL
from agentflow.integrations.providers.jira.api import adf
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.fakes.jira_api import ACCESS_TOKEN, API_TOKEN, CLOUD_ID, EMAIL, JiraAPI
from tests.fakes.loopback import Reply
from tests.fakes.rest_app import action_call

BASIC = "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()


@pytest.fixture(scope="module")
def server() -> Iterator[JiraAPI]:
    fake = JiraAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def jira(server: JiraAPI) -> JiraAPI:
    server.reset()
    return server


@pytest.fixture
def site(jira: JiraAPI, http: httpx.AsyncClient) -> ActionCall:
    """An API-token connection to the fake site."""
    return action_call(
        TOOL,
        http,
        api_base="https://api.atlassian.com",  # unused with a site URL: requests go to the site
        credentials={"email": EMAIL, "api_token": API_TOKEN},
        config={"site_url": jira.url},
    )


def oauth(jira: JiraAPI, http: httpx.AsyncClient, **kwargs: Any) -> ActionCall:
    kwargs.setdefault("credentials", {"access_token": ACCESS_TOKEN, "refresh_token": "r-1"})
    return action_call(TOOL, http, api_base=jira.url, **kwargs)


async def run(call: ActionCall, name: str, params: dict[str, Any]) -> Any:
    action = TOOL.action(name)
    assert action is not None
    return await action.run(call, action.params.model_validate(params))


async def test_create_issue_sends_fields_with_an_adf_description(jira: JiraAPI, site: ActionCall) -> None:
    result = await run(
        site,
        "create_issue",
        {
            "project": "ENG",
            "summary": "Checkout fails on Safari",
            "issue_type": "Bug",
            "description": "Steps:\nopen the cart\n\nExpected: it works",
            "labels": ["checkout", "safari"],
            "priority": "High",
            "fields": {"customfield_10010": 5},
        },
    )

    assert (result.key, result.id) == ("ENG-1", "10001")
    assert result.url == f"{jira.url}/browse/ENG-1"
    sent = jira.last
    assert (sent.method, sent.path) == ("POST", "/rest/api/3/issue")
    assert sent.header("authorization") == BASIC
    assert sent.body == {
        "fields": {
            "project": {"key": "ENG"},
            "summary": "Checkout fails on Safari",
            "issuetype": {"name": "Bug"},
            "description": {
                "type": "doc",
                "version": 1,
                "content": [
                    {
                        "type": "paragraph",
                        "content": [
                            {"type": "text", "text": "Steps:"},
                            {"type": "hardBreak"},
                            {"type": "text", "text": "open the cart"},
                        ],
                    },
                    {"type": "paragraph", "content": [{"type": "text", "text": "Expected: it works"}]},
                ],
            },
            "labels": ["checkout", "safari"],
            "priority": {"name": "High"},
            "customfield_10010": 5,
        }
    }


async def test_jira_validation_errors_are_permanent_with_jiras_message(site: ActionCall) -> None:
    with pytest.raises(PermanentStepError) as caught:
        await run(site, "create_issue", {"project": "NOPE", "summary": "x"})

    assert caught.value.code == "http_400"
    assert "project: valid project is required" in caught.value.message
    assert caught.value.retryable is False


async def test_a_wrong_api_token_is_an_auth_error(jira: JiraAPI, http: httpx.AsyncClient) -> None:
    call = action_call(
        TOOL,
        http,
        api_base=jira.url,
        credentials={"email": EMAIL, "api_token": "revoked"},
        config={"site_url": jira.url},
    )
    with pytest.raises(AuthExpired) as caught:
        await run(call, "search_issues", {"jql": "project = ENG"})
    assert "Client must be authenticated" in caught.value.message
    assert "revoked" not in caught.value.message


async def test_update_issue_puts_only_the_given_fields(jira: JiraAPI, site: ActionCall) -> None:
    await run(site, "create_issue", {"project": "ENG", "summary": "Old title"})

    result = await run(
        site, "update_issue", {"issue": "ENG-1", "summary": "New title", "labels": [], "notify_users": False}
    )

    assert result.issue == "ENG-1"
    sent = jira.last
    assert (sent.method, sent.path, sent.query) == (
        "PUT",
        "/rest/api/3/issue/ENG-1",
        {"notifyUsers": "false"},
    )
    assert sent.body == {"fields": {"summary": "New title", "labels": []}}
    assert jira.issues["ENG-1"]["fields"]["summary"] == "New title"


async def test_update_of_a_missing_issue_carries_jiras_404(site: ActionCall) -> None:
    with pytest.raises(PermanentStepError) as caught:
        await run(site, "update_issue", {"issue": "ENG-404", "summary": "x"})
    assert caught.value.code == "http_404"
    assert "Issue does not exist" in caught.value.message


async def test_update_with_nothing_to_change_is_refused_before_calling(
    jira: JiraAPI, site: ActionCall
) -> None:
    with pytest.raises(PermanentStepError, match="nothing to change"):
        await run(site, "update_issue", {"issue": "ENG-1"})
    assert jira.requests == []


async def test_search_pages_through_the_enhanced_jql_search(jira: JiraAPI, site: ActionCall) -> None:
    for title in ("one", "two", "three"):
        await run(site, "create_issue", {"project": "ENG", "summary": title, "labels": ["bulk"]})
    await run(site, "create_issue", {"project": "OPS", "summary": "elsewhere"})

    first = await run(site, "search_issues", {"jql": "project = ENG ORDER BY created", "max_results": 2})

    sent = jira.last
    assert (sent.method, sent.path) == ("GET", "/rest/api/3/search/jql")
    assert sent.query["jql"] == "project = ENG ORDER BY created"
    assert sent.query["maxResults"] == "2"
    assert "summary" in sent.query["fields"].split(",")
    assert [(i.key, i.summary, i.status, i.labels) for i in first.issues] == [
        ("ENG-1", "one", "To Do", ["bulk"]),
        ("ENG-2", "two", "To Do", ["bulk"]),
    ]
    assert first.issues[0].url == f"{jira.url}/browse/ENG-1"
    assert first.next_page_token

    second = await run(
        site, "search_issues", {"jql": "project = ENG", "max_results": 2, "page_token": first.next_page_token}
    )
    assert [i.key for i in second.issues] == ["ENG-3"]
    assert second.next_page_token is None


async def test_unbounded_jql_is_refused_with_jiras_message(site: ActionCall) -> None:
    with pytest.raises(PermanentStepError, match="Unbounded JQL queries are not allowed"):
        await run(site, "search_issues", {"jql": "ORDER BY created DESC"})


async def test_add_comment_posts_an_adf_body(jira: JiraAPI, site: ActionCall) -> None:
    await run(site, "create_issue", {"project": "ENG", "summary": "x"})

    comment = await run(
        site, "add_comment", {"issue": "ENG-1", "body": "Deployed the fix.\n\nPlease verify."}
    )

    sent = jira.last
    assert (sent.method, sent.path) == ("POST", "/rest/api/3/issue/ENG-1/comment")
    assert sent.body == {"body": adf("Deployed the fix.\n\nPlease verify.")}
    assert len(sent.body["body"]["content"]) == 2
    assert comment.issue == "ENG-1"
    assert comment.url == f"{jira.url}/browse/ENG-1?focusedCommentId={comment.id}"


async def test_transition_by_status_name_looks_up_the_transition_id(jira: JiraAPI, site: ActionCall) -> None:
    await run(site, "create_issue", {"project": "ENG", "summary": "x"})
    jira.requests.clear()

    moved = await run(
        site, "transition_issue", {"issue": "ENG-1", "transition": "in progress", "comment": "On it"}
    )

    assert [(r.method, r.path) for r in jira.requests] == [
        ("GET", "/rest/api/3/issue/ENG-1/transitions"),
        ("POST", "/rest/api/3/issue/ENG-1/transitions"),
    ]
    assert jira.last.body == {
        "transition": {"id": "11"},
        "update": {"comment": [{"add": {"body": adf("On it")}}]},
    }
    assert (moved.transition_id, moved.status) == ("11", "In Progress")
    assert jira.issues["ENG-1"]["fields"]["status"] == {"name": "In Progress"}


async def test_a_transition_not_offered_names_the_available_ones(jira: JiraAPI, site: ActionCall) -> None:
    await run(site, "create_issue", {"project": "ENG", "summary": "x"})
    await run(site, "transition_issue", {"issue": "ENG-1", "transition": "31"})  # by id, to Done

    with pytest.raises(PermanentStepError) as caught:
        await run(site, "transition_issue", {"issue": "ENG-1", "transition": "Start progress"})

    assert caught.value.code == "unknown_transition"
    assert "Reopen (→ To Do)" in caught.value.message
    assert jira.last.method == "GET"  # nothing was posted


async def test_oauth_finds_the_jira_site_and_calls_through_the_cloud_id(
    jira: JiraAPI, http: httpx.AsyncClient
) -> None:
    call = oauth(jira, http, connection_id=str(uuid.uuid4()))

    created = await run(call, "create_issue", {"project": "ENG", "summary": "via OAuth"})

    lookup, create = jira.requests
    assert (lookup.method, lookup.path) == ("GET", "/oauth/token/accessible-resources")
    assert (create.method, create.path) == ("POST", f"/ex/jira/{CLOUD_ID}/rest/api/3/issue")
    assert create.header("authorization") == f"Bearer {ACCESS_TOKEN}"
    assert created.url == "https://acme.atlassian.net/browse/ENG-1"  # the site, not the API host

    await run(call, "add_comment", {"issue": created.key, "body": "again"})  # the site is remembered
    assert [r.path for r in jira.requests[2:]] == [f"/ex/jira/{CLOUD_ID}/rest/api/3/issue/ENG-1/comment"]


async def test_oauth_with_a_known_cloud_id_skips_the_lookup(jira: JiraAPI, http: httpx.AsyncClient) -> None:
    call = oauth(jira, http, config={"cloud_id": CLOUD_ID, "site_url": "https://acme.atlassian.net"})

    assert await TOOL.test(call) == {
        "account": "Ada Lovelace",
        "account_id": "5b10ac8d82e05b22cc7d4ef5",
        "site_url": "https://acme.atlassian.net",
    }
    assert [r.path for r in jira.requests] == [f"/ex/jira/{CLOUD_ID}/rest/api/3/myself"]


async def test_oauth_site_not_granted_is_a_clear_error(jira: JiraAPI, http: httpx.AsyncClient) -> None:
    call = oauth(
        jira, http, config={"site_url": "https://other.atlassian.net"}, connection_id=str(uuid.uuid4())
    )
    with pytest.raises(PermanentStepError, match=r"reaches no site named https://other\.atlassian\.net"):
        await run(call, "search_issues", {"jql": "project = ENG"})


async def test_an_expired_oauth_token_is_refreshed_once(jira: JiraAPI, http: httpx.AsyncClient) -> None:
    refreshed: list[bool] = []

    async def refresh() -> dict[str, str]:
        refreshed.append(True)
        return {"access_token": ACCESS_TOKEN}

    call = oauth(
        jira, http, credentials={"access_token": "expired"}, config={"cloud_id": CLOUD_ID}, refresh=refresh
    )
    result = await run(call, "search_issues", {"jql": "project = ENG"})

    assert result.issues == []
    assert refreshed == [True]
    assert [r.header("authorization") for r in jira.requests] == ["Bearer expired", f"Bearer {ACCESS_TOKEN}"]


async def test_rate_limit_is_transient_with_retry_after(jira: JiraAPI, site: ActionCall) -> None:
    jira.enqueue(Reply(429, {"errorMessages": ["Rate limit exceeded."]}, headers={"Retry-After": "7"}))

    with pytest.raises(TransientStepError) as caught:
        await run(site, "create_issue", {"project": "ENG", "summary": "x"})

    assert caught.value.code == "rate_limit"
    assert caught.value.output["retry_after"] == "7"
    assert "Rate limit exceeded." in caught.value.message


async def test_preview_captures_writes_and_still_runs_reads(jira: JiraAPI, site: ActionCall) -> None:
    await run(site, "create_issue", {"project": "ENG", "summary": "x"})
    jira.requests.clear()
    site.preview = True

    with pytest.raises(Previewed) as caught:
        await run(site, "create_issue", {"project": "ENG", "summary": "previewed"})
    assert caught.value.request["method"] == "POST"
    assert caught.value.request["url"] == f"{jira.url}/rest/api/3/issue"
    assert caught.value.request["json"]["fields"]["summary"] == "previewed"
    assert jira.requests == []

    found = await run(site, "search_issues", {"jql": "project = ENG"})
    assert [i.key for i in found.issues] == ["ENG-1"]

    with pytest.raises(Previewed) as transition:
        await run(site, "transition_issue", {"issue": "ENG-1", "transition": "Done"})
    assert transition.value.request["json"] == {"transition": {"id": "31"}}  # resolved by the real read
    assert jira.issues["ENG-1"]["fields"]["status"] == {"name": "To Do"}


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("update_issue", {"issue": "../../admin", "summary": "x"}),
        ("add_comment", {"issue": "ENG-1/comment", "body": "x"}),
        ("create_issue", {"project": "ENG", "summary": "x" * 256}),
        ("create_issue", {"project": "ENG", "summary": "x", "labels": ["two words"]}),
        ("create_issue", {"project": "ENG", "summary": "x", "sumary": "typo"}),
        (
            "create_issue",
            {"project": "ENG", "summary": "x", "fields": {f"customfield_{i}": i for i in range(51)}},
        ),
        ("create_issue", {"project": "ENG", "summary": "x", "fields": {"customfield_1": "x" * 16_001}}),
        ("search_issues", {"jql": "project = ENG", "max_results": 101}),
        ("add_comment", {"issue": "ENG-1", "body": ""}),
    ],
)
def test_params_refuse_bad_input(name: str, params: dict[str, Any]) -> None:
    action = TOOL.action(name)
    assert action is not None
    with pytest.raises(ValidationError):
        action.params.model_validate(params)


async def test_prepare_normalises_the_site_url_and_refuses_plain_http(http: httpx.AsyncClient) -> None:
    async def no_secret(_name: str) -> None:
        return None

    ctx = ConnectContext(org_id="org", http=http, org_secret=no_secret)
    token = {"email": EMAIL, "api_token": API_TOKEN}

    kept = await TOOL.prepare(ctx, {"site_url": "https://acme.atlassian.net/jira/your-work"}, token)
    assert kept == {"site_url": "https://acme.atlassian.net"}
    with pytest.raises(ValidationFailed):
        await TOOL.prepare(ctx, {"site_url": "http://acme.atlassian.net"}, token)
    with pytest.raises(ValidationFailed, match="needs the site URL"):
        await TOOL.prepare(ctx, {}, token)
    assert await TOOL.prepare(ctx, {}, {}) == {}  # an OAuth connect starting: the site comes with the token


def test_catalog_entry() -> None:
    assert TOOL.oauth is not None
    assert TOOL.oauth.authorize_params == {"audience": "api.atlassian.com", "prompt": "consent"}
    assert "offline_access" in TOOL.oauth.scopes
    assert {a.name: a.side_effect for a in TOOL.actions} == {
        "create_issue": True,
        "update_issue": True,
        "search_issues": False,
        "add_comment": True,
        "transition_issue": True,
    }
    schema = TOOL.action("search_issues").params_schema()  # type: ignore[union-attr]
    assert "JQL" in schema["properties"]["jql"]["description"]
