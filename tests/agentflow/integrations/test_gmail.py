"""The Gmail connector against a loopback Gmail API: RFC 822 messages in `raw`, inbox and search reads with
bodies, Google's errors, a refresh on 401, rate limits, previews, params bounds, test and revoke."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from agentflow.integrations import registry
from agentflow.integrations.base import ActionCall, AuthExpired, Previewed
from agentflow.integrations.providers.gmail import TOOL
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.fakes.gmail_api import ACCESS_TOKEN, REFRESH_TOKEN, GmailAPI
from tests.fakes.loopback import Reply
from tests.fakes.rest_fake import action_call


@pytest.fixture(scope="module")
def server() -> Iterator[GmailAPI]:
    fake = GmailAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def gmail(server: GmailAPI) -> GmailAPI:
    server.reset()
    return server


@pytest.fixture
def call(gmail: GmailAPI, http: httpx.AsyncClient) -> ActionCall:
    return action_call(
        TOOL, gmail, http, credentials={"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN}
    )


async def run(call: ActionCall, action: str, params: dict[str, Any]) -> Any:
    found = call.tool.action(action)
    assert found is not None
    return await found.run(call, found.params.model_validate(params))


def decoded(raw: str) -> EmailMessage:
    message = message_from_bytes(base64.urlsafe_b64decode(raw), policy=SMTP)
    assert isinstance(message, EmailMessage)
    return message


GOOGLE = TOOL.oauth
assert GOOGLE is not None


def test_registered_with_google_oauth() -> None:
    assert registry.get("gmail") is TOOL
    assert {a.name for a in TOOL.actions if not a.side_effect} == {"read_inbox", "search"}
    assert TOOL.oauth is not None
    assert TOOL.oauth.authorize_params["access_type"] == "offline"
    assert TOOL.oauth.authorize_params["prompt"] == "consent"
    assert TOOL.oauth.pkce
    assert set(TOOL.oauth.scopes) == set(TOOL.scopes)


async def test_send_email_sends_an_rfc822_message(gmail: GmailAPI, call: ActionCall) -> None:
    result = await run(
        call,
        "send_email",
        {
            "to": ["dana@example.com", "erik@example.com"],
            "cc": ["fay@example.com"],
            "bcc": ["audit@example.com"],
            "subject": "Your order ✓",
            "body": "It shipped.",
            "html": "<p>It <b>shipped</b>.</p>",
            "reply_to": "support@acme.example.com",
        },
    )

    sent = gmail.last
    assert (sent.method, sent.path) == ("POST", "/gmail/v1/users/me/messages/send")
    assert sent.header("authorization") == f"Bearer {ACCESS_TOKEN}"
    assert set(sent.body) == {"raw"}
    message = decoded(sent.body["raw"])
    assert message["To"] == "dana@example.com, erik@example.com"
    assert message["Cc"] == "fay@example.com"
    assert message["Bcc"] == "audit@example.com"
    assert message["Subject"] == "Your order ✓"
    assert message["Reply-To"] == "support@acme.example.com"
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == "It shipped."  # type: ignore[union-attr]
    assert "<b>shipped</b>" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert result.id in gmail.messages
    assert result.label_ids == ["SENT"]


async def test_reply_in_thread(gmail: GmailAPI, call: ActionCall) -> None:
    original = next(iter(gmail.messages.values()))
    await run(
        call,
        "send_email",
        {
            "to": ["alice@example.com"],
            "subject": "Re: Quarterly report",
            "body": "Thanks!",
            "thread_id": original["threadId"],
            "in_reply_to": original["mime"]["Message-ID"],
        },
    )
    assert gmail.last.body["threadId"] == original["threadId"]
    message = decoded(gmail.last.body["raw"])
    assert message["In-Reply-To"] == original["mime"]["Message-ID"]
    assert message["References"] == original["mime"]["Message-ID"]


async def test_create_draft(gmail: GmailAPI, call: ActionCall) -> None:
    result = await run(
        call, "create_draft", {"to": ["dana@example.com"], "subject": "Draft", "body": "Check me"}
    )

    assert gmail.last.path == "/gmail/v1/users/me/drafts"
    assert set(gmail.last.body) == {"message"}
    assert decoded(gmail.last.body["message"]["raw"])["Subject"] == "Draft"
    assert result.draft_id == f"r-{result.message_id}"
    assert gmail.messages[result.message_id]["labelIds"] == ["DRAFT"]


async def test_read_inbox_returns_bodies_and_attachments(gmail: GmailAPI, call: ActionCall) -> None:
    result = await run(call, "read_inbox", {"max_results": 5})

    listing = gmail.requests[0]
    assert (listing.method, listing.path) == ("GET", "/gmail/v1/users/me/messages")
    assert gmail.queries[0] == {"labelIds": "INBOX", "maxResults": "5"}
    assert all(q.get("format") == "full" for q in gmail.queries[1:])
    assert len(gmail.requests) == 4  # the listing, then each of the three messages
    by_subject = {m["subject"]: m for m in result.messages}
    assert [m["subject"] for m in result.messages] == ["Invoice 42", "Lunch?", "Quarterly report"]
    assert (
        by_subject["Invoice 42"]["body"].strip() == "Please pay invoice 42."
    )  # the plain part, not the HTML
    assert by_subject["Lunch?"]["body"] == "Lunch today?"  # HTML-only mail as text, scripts dropped
    assert by_subject["Lunch?"]["unread"] is True
    assert by_subject["Quarterly report"]["from"] == "Alice <alice@example.com>"
    assert by_subject["Quarterly report"]["attachments"] == [
        {"filename": "invoice.pdf", "mime_type": "application/pdf", "size": 13}
    ]
    assert result.result_size_estimate == 3


async def test_read_inbox_unread_headers_only_and_paging(gmail: GmailAPI, call: ActionCall) -> None:
    result = await run(call, "read_inbox", {"unread_only": True, "include_body": False, "max_results": 1})

    assert gmail.queries[0] == {"labelIds": "INBOX", "q": "is:unread", "maxResults": "1"}
    assert gmail.queries[1]["format"] == "metadata"
    assert "body" not in result.messages[0]
    assert result.messages[0]["subject"] == "Invoice 42"
    assert result.next_page_token == "1"
    rest = await run(call, "read_inbox", {"unread_only": True, "page_token": result.next_page_token})
    assert [m["subject"] for m in rest.messages] == ["Lunch?"]
    assert rest.next_page_token is None


async def test_search(gmail: GmailAPI, call: ActionCall) -> None:
    found = await run(call, "search", {"query": "from:alice has:attachment"})
    assert gmail.queries[0] == {"q": "from:alice has:attachment", "maxResults": "10"}
    assert [m["subject"] for m in found.messages] == ["Quarterly report"]

    nothing = await run(call, "search", {"query": "subject:nonexistent"})
    assert nothing.messages == []
    assert len(gmail.requests) == 3  # one listing and one fetch, then a listing alone: nothing to fetch


async def test_google_validation_errors_are_permanent_with_googles_message(call: ActionCall) -> None:
    with pytest.raises(PermanentStepError) as refused:
        await call.request("POST", "gmail/v1/users/me/messages/send", json={})
    assert "'raw' RFC822 payload message string" in refused.value.message
    assert "INVALID_ARGUMENT" in refused.value.message
    assert refused.value.code == "http_400"


async def test_a_401_refreshes_once_then_succeeds(gmail: GmailAPI, http: httpx.AsyncClient) -> None:
    refreshed: list[int] = []

    async def refresh() -> dict[str, str]:
        refreshed.append(1)
        return {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN}

    stale = action_call(TOOL, gmail, http, credentials={"access_token": "ya29.expired"}, refresh=refresh)
    info = await TOOL.test(stale)
    assert info == {"email": "me@acme.example.com", "messages_total": 3}
    assert refreshed == [1]
    assert [r.header("authorization") for r in gmail.requests] == [
        "Bearer ya29.expired",
        f"Bearer {ACCESS_TOKEN}",
    ]


async def test_a_token_refused_after_refresh_needs_reauth(gmail: GmailAPI, http: httpx.AsyncClient) -> None:
    async def refresh() -> dict[str, str]:
        return {"access_token": "ya29.still-wrong"}

    stale = action_call(TOOL, gmail, http, credentials={"access_token": "ya29.expired"}, refresh=refresh)
    with pytest.raises(AuthExpired, match="UNAUTHENTICATED"):
        await run(stale, "search", {"query": "x"})


async def test_rate_limits_are_transient(gmail: GmailAPI, call: ActionCall) -> None:
    gmail.enqueue(
        Reply(
            429,
            {
                "error": {
                    "code": 429,
                    "message": "Too many concurrent requests for user.",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
            headers={"Retry-After": "5"},
        )
    )
    with pytest.raises(TransientStepError) as limited:
        await run(call, "read_inbox", {})
    assert limited.value.code == "rate_limit"
    assert limited.value.output["retry_after"] == "5"
    assert "Too many concurrent requests" in limited.value.message


async def test_preview_captures_the_message_and_still_reads(gmail: GmailAPI, http: httpx.AsyncClient) -> None:
    preview = action_call(TOOL, gmail, http, preview=True)
    with pytest.raises(Previewed) as captured:
        await run(preview, "send_email", {"to": ["dana@example.com"], "subject": "Hi", "body": "Hello"})
    assert captured.value.request["method"] == "POST"
    assert decoded(captured.value.request["json"]["raw"])["To"] == "dana@example.com"
    assert gmail.requests == []
    read = await run(preview, "search", {"query": "pay"})
    assert [m["subject"] for m in read.messages] == ["Invoice 42"]


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("send_email", {"to": [], "subject": "s", "body": "b"}),
        ("send_email", {"to": ["not-an-address"], "subject": "s", "body": "b"}),
        ("send_email", {"to": ["a@example.com"], "subject": "s\r\nBcc: evil@example.com", "body": "b"}),
        ("send_email", {"to": [f"u{i}@example.com" for i in range(101)], "subject": "s", "body": "b"}),
        ("create_draft", {"to": ["a@example.com"], "subject": "s", "body": "b", "thread_id": "../../x"}),
        ("read_inbox", {"max_results": 51}),
        ("search", {"query": ""}),
        ("search", {"query": "x", "labels": ["INBOX"]}),
    ],
)
def test_params_refuse_bad_input(action: str, params: dict[str, Any]) -> None:
    found = TOOL.action(action)
    assert found is not None
    with pytest.raises(ValidationError):
        found.params.model_validate(params)


async def test_revoke_posts_the_refresh_token(gmail: GmailAPI, http: httpx.AsyncClient) -> None:
    # The operator pointed Google's OAuth endpoints at the fake; the call carries them.
    tool = TOOL
    call = action_call(
        tool,
        gmail,
        http,
        credentials={"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN},
        oauth=replace(GOOGLE, revoke_url=f"{gmail.url}/revoke"),
    )
    assert await tool.revoke(call) is True
    assert gmail.last.path == "/revoke"
    assert gmail.last.body == {"token": REFRESH_TOKEN}
    assert gmail.last.header("authorization") is None
    assert gmail.revoked == [REFRESH_TOKEN]
    with pytest.raises(PermanentStepError, match="Token expired or revoked"):
        await tool.revoke(call)


async def test_per_user_rate_limits_answered_as_403_are_transient(gmail: GmailAPI, call: ActionCall) -> None:
    limited = {
        "error": {
            "code": 403,
            "message": "User-rate limit exceeded.",
            "errors": [
                {
                    "message": "User-rate limit exceeded.",
                    "domain": "usageLimits",
                    "reason": "userRateLimitExceeded",
                }
            ],
            "status": "PERMISSION_DENIED",
        }
    }
    gmail.enqueue(Reply(403, limited))
    with pytest.raises(TransientStepError, match="User-rate limit exceeded"):
        await run(call, "read_inbox", {})

    # A daily quota or a missing permission does not pass by retrying.
    daily = {
        "error": {**limited["error"], "errors": [{"reason": "dailyLimitExceeded"}], "message": "Daily Limit"}
    }
    gmail.enqueue(
        Reply(403, daily), Reply(403, {"error": {"code": 403, "message": "Insufficient Permission"}})
    )
    for _ in range(2):
        with pytest.raises(PermanentStepError) as refused:
            await run(call, "read_inbox", {})
        assert not refused.value.retryable
