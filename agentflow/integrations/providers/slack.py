"""Slack: post messages, read a channel's history, list channels, add reactions (Slack Web API).

httpx through `ActionCall.request` rather than `slack_sdk`'s web client: the SDK brings its own HTTP stack
(urllib / aiohttp), which would bypass the egress guard, the previews and the error mapping.

Slack answers most errors with HTTP 200 and `{"ok": false, "error": "<code>"}`; `check_answer` turns those
into step errors: `ratelimited` is transient, credential errors mean the connection must be reconnected, the
rest are permanent and carry Slack's code (plus its `response_metadata.messages` when it sends them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import Field, field_validator

from agentflow.integrations.base import (
    Action,
    ActionCall,
    AuthExpired,
    Field_,
    IntegrationTool,
    OAuthApp,
    Params,
    Result,
)
from agentflow.nodes.errors import PermanentStepError, TransientStepError

# Slack's codes for a token that no longer works (revoked, expired, app uninstalled, account gone).
AUTH_ERRORS = frozenset(
    {"not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive", "no_permission"}
)
SCOPES = (
    "chat:write",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "reactions:write",
)
CHANNEL_ID = r"^[A-Za-z0-9#._-]{1,80}$"
CHANNEL_ONLY_ID = r"^[A-Z0-9]{2,40}$"  # methods that refuse channel names
SLACK_TS = r"^\d{1,12}\.\d{1,8}$"
CHANNEL_DESCRIPTION = "Channel ID (C…, G…, D…) or name; the bot must be a member to post or read."


def _message_summary(message: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("ts", "user", "bot_id", "text", "thread_ts", "reply_count", "subtype")
    return {key: message[key] for key in keep if key in message}


class SendMessageParams(Params):
    channel: str = Field(description=CHANNEL_DESCRIPTION, pattern=CHANNEL_ID)
    text: str = Field(
        description="Message text (Slack mrkdwn). Also the notification text when blocks are given.",
        min_length=1,
        max_length=40_000,
    )
    thread_ts: str | None = Field(
        None, description="Reply in the thread of this message timestamp (`ts`).", pattern=SLACK_TS
    )
    reply_broadcast: bool = Field(False, description="With thread_ts: also show the reply in the channel.")
    blocks: list[dict[str, Any]] | None = Field(
        None, description="Block Kit blocks (JSON objects) for a rich layout.", max_length=50
    )
    unfurl_links: bool = Field(True, description="Show previews of links in the text.")


class SendMessageResult(Result):
    channel: str
    ts: str = Field(description="The message's timestamp: its id within the channel.")
    thread_ts: str | None = None
    text: str | None = None


async def send_message(call: ActionCall, params: SendMessageParams) -> SendMessageResult:
    body = params.model_dump(exclude_none=True)
    if not params.thread_ts:
        body.pop("reply_broadcast")
    answer = await call.request("POST", "chat.postMessage", json=body)
    message = answer.get("message") or {}
    return SendMessageResult(
        channel=answer["channel"],
        ts=answer["ts"],
        thread_ts=message.get("thread_ts"),
        text=message.get("text"),
    )


class ReadMessagesParams(Params):
    channel: str = Field(
        description="Channel ID (C…, G…, D…; list_channels finds it); the bot must be a member.",
        pattern=CHANNEL_ONLY_ID,
    )
    limit: int = Field(20, ge=1, le=200, description="How many messages, newest first.")
    oldest: str | None = Field(None, description="Only messages after this timestamp.", pattern=SLACK_TS)
    latest: str | None = Field(None, description="Only messages before this timestamp.", pattern=SLACK_TS)
    cursor: str | None = Field(None, description="`next_cursor` of a previous call.", max_length=500)


class ReadMessagesResult(Result):
    messages: list[dict[str, Any]] = Field(description="ts, user (or bot_id), text, thread_ts, reply_count.")
    has_more: bool
    next_cursor: str | None = None


async def read_channel_messages(call: ActionCall, params: ReadMessagesParams) -> ReadMessagesResult:
    answer = await call.request("GET", "conversations.history", params=params.model_dump(exclude_none=True))
    cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
    return ReadMessagesResult(
        messages=[_message_summary(m) for m in answer.get("messages", [])],
        has_more=bool(answer.get("has_more")),
        next_cursor=cursor,
    )


class ListChannelsParams(Params):
    types: list[str] = Field(
        default_factory=lambda: ["public_channel"],
        description="Kinds of conversation: public_channel, private_channel, mpim, im.",
        min_length=1,
        max_length=4,
    )
    exclude_archived: bool = Field(True, description="Leave archived channels out.")
    limit: int = Field(200, ge=1, le=1000, description="At most this many channels per call.")
    cursor: str | None = Field(None, description="`next_cursor` of a previous call.", max_length=500)

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = set(value) - {"public_channel", "private_channel", "mpim", "im"}
        if unknown:
            raise ValueError(f"unknown conversation types: {', '.join(sorted(unknown))}")
        return value


class ListChannelsResult(Result):
    channels: list[dict[str, Any]] = Field(
        description="id, name, is_private, is_member, is_archived, num_members, topic, purpose."
    )
    next_cursor: str | None = None


async def list_channels(call: ActionCall, params: ListChannelsParams) -> ListChannelsResult:
    query = params.model_dump(exclude_none=True) | {"types": ",".join(params.types)}
    answer = await call.request("GET", "conversations.list", params=query)
    channels = [
        {
            "id": channel["id"],
            "name": channel.get("name"),
            "is_private": channel.get("is_private", False),
            "is_member": channel.get("is_member", False),
            "is_archived": channel.get("is_archived", False),
            "num_members": channel.get("num_members"),
            "topic": (channel.get("topic") or {}).get("value") or None,
            "purpose": (channel.get("purpose") or {}).get("value") or None,
        }
        for channel in answer.get("channels", [])
    ]
    cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
    return ListChannelsResult(channels=channels, next_cursor=cursor)


class AddReactionParams(Params):
    channel: str = Field(description="Channel ID of the message (C…, G…, D…).", pattern=CHANNEL_ONLY_ID)
    timestamp: str = Field(description="The message's `ts`.", pattern=SLACK_TS)
    name: str = Field(
        description="Emoji name, without colons (thumbsup, eyes, white_check_mark).",
        pattern=r"^:?[a-z0-9_+'-]{1,100}:?$",
    )


class AddReactionResult(Result):
    ok: bool
    channel: str
    timestamp: str
    name: str


async def add_reaction(call: ActionCall, params: AddReactionParams) -> AddReactionResult:
    name = params.name.strip(":")
    await call.request(
        "POST", "reactions.add", json={"channel": params.channel, "timestamp": params.timestamp, "name": name}
    )
    return AddReactionResult(ok=True, channel=params.channel, timestamp=params.timestamp, name=name)


class SlackTool(IntegrationTool):
    name = "slack"
    label = "Slack"
    description = "Post messages, read channels and react to messages in a Slack workspace."
    category = "communication"
    auth_kinds = ("oauth2", "token")
    scopes = SCOPES
    oauth = OAuthApp(
        authorize_url="https://slack.com/oauth/v2/authorize",
        token_url="https://slack.com/api/oauth.v2.access",  # noqa: S106 - a URL, not a secret
        revoke_url="https://slack.com/api/auth.revoke",
        scopes=SCOPES,
        pkce=False,
        scope_separator=",",
    )
    api_base = "https://slack.com/api"
    credential_fields = (
        Field_(
            "token",
            "Bot token",
            description="The app's Bot User OAuth Token (xoxb-…), under OAuth & Permissions in its settings.",
        ),
    )
    actions: ClassVar[tuple[Action, ...]] = (
        Action(
            "send_message",
            "Post a message to a channel, or reply in a thread.",
            SendMessageParams,
            send_message,
            SendMessageResult,
        ),
        Action(
            "read_channel_messages",
            "Read a channel's recent messages, newest first.",
            ReadMessagesParams,
            read_channel_messages,
            ReadMessagesResult,
            side_effect=False,
        ),
        Action(
            "list_channels",
            "List the workspace's channels (id, name, membership).",
            ListChannelsParams,
            list_channels,
            ListChannelsResult,
            side_effect=False,
        ),
        Action(
            "add_reaction",
            "Add an emoji reaction to a message.",
            AddReactionParams,
            add_reaction,
            AddReactionResult,
        ),
    )

    def connection_config(self, token_response: Mapping[str, Any]) -> dict[str, Any]:
        team = token_response.get("team") or {}
        found = {
            "team_id": team.get("id"),
            "team_name": team.get("name"),
            "bot_user_id": token_response.get("bot_user_id"),
            "app_id": token_response.get("app_id"),
        }
        return {key: value for key, value in found.items() if value}

    def error_message(self, response: httpx.Response, body: Any) -> str | None:
        if not isinstance(body, Mapping) or not isinstance(body.get("error"), str):
            return super().error_message(response, body)
        message = str(body["error"])
        if body.get("needed"):  # missing_scope says which scope the token lacks
            message += f" (needed: {body['needed']})"
        details = (body.get("response_metadata") or {}).get("messages") or []
        if details:
            message += ": " + "; ".join(str(detail) for detail in details[:5])
        return message

    def check_answer(self, response: httpx.Response, body: Any) -> None:
        if not isinstance(body, Mapping) or body.get("ok") is not False:
            return
        code = str(body.get("error") or "unknown_error")
        message = f"Slack: {self.error_message(response, body)}"
        output = {"error": message, "status": response.status_code, "body": dict(body)}
        if code == "ratelimited":
            retry_after = response.headers.get("retry-after")
            raise TransientStepError(
                message,
                output=output | ({"retry_after": retry_after} if retry_after else {}),
                code="rate_limit",
            )
        if code in AUTH_ERRORS:
            raise AuthExpired(message, output=output, code="auth")
        raise PermanentStepError(message, output=output, code=f"slack_{code}")

    async def test(self, call: ActionCall) -> dict[str, Any]:
        answer = await call.request("GET", "auth.test")
        keep = ("team", "team_id", "user", "user_id", "bot_id", "url")
        return {key: answer[key] for key in keep if answer.get(key)}

    async def revoke(self, call: ActionCall) -> bool:
        await call.request("POST", "auth.revoke")
        return True


TOOL = SlackTool()
