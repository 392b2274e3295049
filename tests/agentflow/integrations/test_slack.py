"""The Slack connector against a loopback Slack Web API: each action's request and result, Slack's
`ok: false` answers as step errors, rate limits, previews, params bounds, test and revoke."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from agentflow.integrations import registry
from agentflow.integrations.base import ActionCall, AuthExpired
from agentflow.integrations.providers.slack import TOOL
from agentflow.nodes.errors import PermanentStepError, TransientStepError
from tests.fakes.loopback import Reply
from tests.fakes.rest_fake import action_call
from tests.fakes.slack_api import BOT_TOKEN, SlackAPI


@pytest.fixture(scope="module")
def server() -> Iterator[SlackAPI]:
    fake = SlackAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def slack(server: SlackAPI) -> SlackAPI:
    server.reset()
    return server


@pytest.fixture
def call(slack: SlackAPI, http: httpx.AsyncClient) -> ActionCall:
    # A token connection (the bot token pasted in the connect form), on the fake's /api base.
    return action_call(TOOL, slack, http, credentials={"token": BOT_TOKEN}, api_base=f"{slack.url}/api")


async def run(call: ActionCall, action: str, params: dict[str, Any]) -> Any:
    found = TOOL.action(action)
    assert found is not None
    return await found.run(call, found.params.model_validate(params))


def test_registered_with_its_catalog_entry() -> None:
    assert registry.get("slack") is TOOL
    assert {a.name for a in TOOL.actions} == {
        "send_message",
        "read_channel_messages",
        "list_channels",
        "add_reaction",
    }
    reads = {a.name for a in TOOL.actions if not a.side_effect}
    assert reads == {"read_channel_messages", "list_channels"}
    schema = TOOL.action("send_message").params_schema()  # type: ignore[union-attr]
    assert schema["required"] == ["channel", "text"]
    assert "thread" in schema["properties"]["thread_ts"]["description"]


async def test_send_message_posts_json_with_the_bot_token(slack: SlackAPI, call: ActionCall) -> None:
    result = await run(call, "send_message", {"channel": "#general", "text": "Deploy finished :rocket:"})

    sent = slack.last
    assert (sent.method, sent.path) == ("POST", "/api/chat.postMessage")
    assert sent.header("authorization") == f"Bearer {BOT_TOKEN}"
    assert (sent.header("content-type") or "").startswith("application/json")
    assert sent.body == {"channel": "#general", "text": "Deploy finished :rocket:", "unfurl_links": True}
    assert result.channel == "C0GENERAL"
    assert result.ts == slack.channels["C0GENERAL"]["messages"][0]["ts"]


async def test_thread_reply_sends_thread_fields(slack: SlackAPI, call: ActionCall) -> None:
    parent = slack.channels["C0GENERAL"]["messages"][0]["ts"]
    result = await run(
        call,
        "send_message",
        {"channel": "C0GENERAL", "text": "on it", "thread_ts": parent, "reply_broadcast": True},
    )
    assert slack.last.body["thread_ts"] == parent
    assert slack.last.body["reply_broadcast"] is True
    assert result.thread_ts == parent


async def test_slack_errors_are_permanent_with_slacks_code(slack: SlackAPI, call: ActionCall) -> None:
    with pytest.raises(PermanentStepError) as unknown:
        await run(call, "send_message", {"channel": "C0NOPE", "text": "hi"})
    assert "channel_not_found" in unknown.value.message
    assert unknown.value.code == "slack_channel_not_found"
    assert not unknown.value.retryable

    with pytest.raises(PermanentStepError, match="not_in_channel"):
        await run(call, "send_message", {"channel": "C0RANDOM", "text": "hi"})


async def test_missing_field_error_carries_slacks_messages(slack: SlackAPI, call: ActionCall) -> None:
    # A request the connector would never send, to see Slack's own validation text come through.
    with pytest.raises(PermanentStepError) as refused:
        await call.request("POST", "reactions.add", json={"channel": "C0GENERAL"})
    assert "invalid_arguments" in refused.value.message
    assert "missing required field: timestamp" in refused.value.message


async def test_read_channel_messages(slack: SlackAPI, call: ActionCall) -> None:
    result = await run(call, "read_channel_messages", {"channel": "C0GENERAL", "limit": 2})

    assert (slack.last.method, slack.last.path) == ("GET", "/api/conversations.history")
    assert slack.last_query == {"channel": "C0GENERAL", "limit": "2"}
    assert [m["text"] for m in result.messages] == ["third", "second"]
    assert result.messages[0]["user"] == "U0ALICE"
    assert result.has_more is True
    rest = await run(call, "read_channel_messages", {"channel": "C0GENERAL", "cursor": result.next_cursor})
    assert [m["text"] for m in rest.messages] == ["first"]
    assert rest.next_cursor is None


async def test_list_channels_filters_types_and_archived(slack: SlackAPI, call: ActionCall) -> None:
    result = await run(call, "list_channels", {"types": ["public_channel", "private_channel"]})

    assert slack.last_query == {
        "types": "public_channel,private_channel",
        "exclude_archived": "true",
        "limit": "200",
    }
    names = {c["name"]: c for c in result.channels}
    assert set(names) == {"general", "random", "secret"}
    assert names["secret"]["is_private"] is True
    assert names["random"]["is_member"] is False
    assert names["general"]["topic"] == "general topic"


async def test_add_reaction_strips_colons(slack: SlackAPI, call: ActionCall) -> None:
    ts = slack.channels["C0GENERAL"]["messages"][0]["ts"]
    result = await run(call, "add_reaction", {"channel": "C0GENERAL", "timestamp": ts, "name": ":eyes:"})

    assert slack.last.body == {"channel": "C0GENERAL", "timestamp": ts, "name": "eyes"}
    assert result.ok
    assert slack.channels["C0GENERAL"]["messages"][0]["reactions"][0]["name"] == "eyes"
    with pytest.raises(PermanentStepError, match="already_reacted"):
        await run(call, "add_reaction", {"channel": "C0GENERAL", "timestamp": ts, "name": "eyes"})


async def test_rate_limits_are_transient(slack: SlackAPI, call: ActionCall) -> None:
    slack.enqueue(Reply(429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "30"}))
    with pytest.raises(TransientStepError) as limited:
        await run(call, "list_channels", {})
    assert limited.value.code == "rate_limit"
    assert limited.value.output["retry_after"] == "30"

    # Slack also says it with HTTP 200 and `ok: false` on some methods.
    slack.enqueue(Reply(200, {"ok": False, "error": "ratelimited"}))
    with pytest.raises(TransientStepError) as in_body:
        await run(call, "send_message", {"channel": "C0GENERAL", "text": "x"})
    assert in_body.value.code == "rate_limit"


async def test_a_wrong_token_means_reconnect(slack: SlackAPI, http: httpx.AsyncClient) -> None:
    wrong = action_call(TOOL, slack, http, credentials={"token": "xoxb-wrong"}, api_base=f"{slack.url}/api")
    with pytest.raises(AuthExpired, match="invalid_auth") as refused:
        await run(wrong, "list_channels", {})
    assert "xoxb-wrong" not in str(refused.value.output)


async def test_preview_captures_writes_and_runs_reads(slack: SlackAPI, http: httpx.AsyncClient) -> None:
    from agentflow.integrations.base import Previewed

    preview = action_call(
        TOOL, slack, http, credentials={"token": BOT_TOKEN}, api_base=f"{slack.url}/api", preview=True
    )
    with pytest.raises(Previewed) as captured:
        await run(preview, "send_message", {"channel": "C0GENERAL", "text": "would post"})
    assert captured.value.request["url"].endswith("/api/chat.postMessage")
    assert captured.value.request["json"]["text"] == "would post"
    assert BOT_TOKEN not in str(captured.value.request)
    assert slack.requests == []

    read = await run(preview, "read_channel_messages", {"channel": "C0GENERAL"})
    assert len(read.messages) == 3


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("send_message", {"channel": "C0GENERAL", "text": ""}),
        ("send_message", {"channel": "C0GENERAL", "text": "x" * 40_001}),
        ("send_message", {"channel": "bad channel!", "text": "x"}),
        ("send_message", {"channel": "C0GENERAL", "text": "x", "thread_ts": "yesterday"}),
        ("send_message", {"channel": "C0GENERAL", "text": "x", "colour": "red"}),
        ("read_channel_messages", {"channel": "C0GENERAL", "limit": 500}),
        ("read_channel_messages", {"channel": "#general"}),
        ("add_reaction", {"channel": "general", "timestamp": "1.1", "name": "eyes"}),
        ("list_channels", {"types": ["public_channel", "everything"]}),
        ("add_reaction", {"channel": "C0GENERAL", "timestamp": "1.1", "name": "two words"}),
    ],
)
def test_params_refuse_bad_input(action: str, params: dict[str, Any]) -> None:
    found = TOOL.action(action)
    assert found is not None
    with pytest.raises(ValidationError):
        found.params.model_validate(params)


async def test_connection_test_and_revoke(slack: SlackAPI, call: ActionCall) -> None:
    info = await TOOL.test(call)
    assert info == {
        "team": "Acme",
        "team_id": "T0ACME",
        "user": "agentflow",
        "user_id": "U0BOT",
        "bot_id": "B0BOT",
        "url": "https://acme.slack.com/",
    }
    assert await TOOL.revoke(call) is True
    assert slack.last.path == "/api/auth.revoke"
    with pytest.raises(AuthExpired):
        await TOOL.test(call)


def test_oauth_token_response_keeps_the_team() -> None:
    kept = TOOL.connection_config(
        {
            "ok": True,
            "access_token": "xoxb-secret",
            "bot_user_id": "U0BOT",
            "app_id": "A0APP",
            "team": {"id": "T0ACME", "name": "Acme"},
        }
    )
    assert kept == {"team_id": "T0ACME", "team_name": "Acme", "bot_user_id": "U0BOT", "app_id": "A0APP"}
    assert TOOL.oauth is not None
    assert TOOL.oauth.scope_separator == ","
