"""A loopback Slack Web API (https://slack.com/api/<method>): the methods the connector calls, with Slack's
habits: HTTP 200 with `{"ok": false, "error": …}` for most failures, `not_authed` / `invalid_auth` for a
missing or wrong token, `invalid_arguments` with `response_metadata.messages` for missing fields, cursors."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.rest_fake import RestFake

BOT_TOKEN = "xoxb-1111-2222-fake"


def _fail(error: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "error": error, **extra})


def _missing(field: str) -> JSONResponse:
    return _fail(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {field}"]}
    )


class SlackAPI(RestFake):
    def __init__(self) -> None:
        super().__init__(BOT_TOKEN)
        self.revoked: set[str] = set()
        self._clock = itertools.count(1)
        self.channels: dict[str, dict[str, Any]] = {}
        self.seed()
        for method, verbs, handler in (
            ("chat.postMessage", ["POST"], self.post_message),
            ("conversations.history", ["GET", "POST"], self.history),
            ("conversations.list", ["GET", "POST"], self.list_conversations),
            ("reactions.add", ["POST"], self.add_reaction),
            ("auth.test", ["GET", "POST"], self.auth_test),
            ("auth.revoke", ["GET", "POST"], self.auth_revoke),
        ):
            self.route(f"/api/{method}", verbs, handler)

    def seed(self) -> None:
        self.revoked.clear()
        self.channels = {
            "C0GENERAL": {"name": "general", "is_private": False, "is_member": True, "messages": []},
            "C0RANDOM": {"name": "random", "is_private": False, "is_member": False, "messages": []},
            "G0SECRET": {"name": "secret", "is_private": True, "is_member": True, "messages": []},
            "C0OLD": {
                "name": "old",
                "is_private": False,
                "is_member": True,
                "is_archived": True,
                "messages": [],
            },
        }
        for text in ("first", "second", "third"):
            self._store("C0GENERAL", {"type": "message", "user": "U0ALICE", "text": text})

    def reset(self) -> None:
        super().reset()
        self.seed()

    def _store(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        message = {**message, "ts": f"1700000000.{next(self._clock):06d}"}
        self.channels[channel]["messages"].insert(0, message)  # newest first, like conversations.history
        return message

    def authorized(self, request: Request) -> bool:
        return super().authorized(request) and self.token not in self.revoked

    def unauthorized(self) -> Response:
        return _fail("invalid_auth")

    @staticmethod
    async def _args(request: Request, body: Any) -> dict[str, Any]:
        """Slack reads arguments from the query string, a form body or a JSON body."""
        args: dict[str, Any] = dict(request.query_params)
        if isinstance(body, dict):
            args.update(body)
        return args

    def _channel(self, args: dict[str, Any]) -> tuple[str, dict[str, Any]] | JSONResponse:
        ref = args.get("channel")
        if not ref:
            return _missing("channel")
        if ref in self.channels:
            return ref, self.channels[ref]
        by_name = {c["name"]: cid for cid, c in self.channels.items()}
        cid = by_name.get(str(ref).lstrip("#"))
        return (cid, self.channels[cid]) if cid else _fail("channel_not_found")

    async def post_message(self, request: Request, body: Any) -> Response:
        if not request.headers.get("content-type", "").startswith(("application/json", "application/x-www")):
            return _fail("invalid_form_data")
        args = await self._args(request, body)
        found = self._channel(args)
        if isinstance(found, JSONResponse):
            return found
        cid, channel = found
        if not args.get("text") and not args.get("blocks"):
            return _fail("no_text")
        if not channel["is_member"]:
            return _fail("not_in_channel")
        if channel.get("is_archived"):
            return _fail("is_archived")
        message = {"type": "message", "user": "U0BOT", "bot_id": "B0BOT", "text": args.get("text", "")}
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        stored = self._store(cid, message)
        return JSONResponse({"ok": True, "channel": cid, "ts": stored["ts"], "message": stored})

    async def history(self, request: Request, body: Any) -> Response:
        args = await self._args(request, body)
        if args.get("channel") and args["channel"] not in self.channels:
            return _fail("channel_not_found")  # conversations.history takes ids only, never names
        found = self._channel(args)
        if isinstance(found, JSONResponse):
            return found
        _, channel = found
        if not channel["is_member"]:
            return _fail("not_in_channel")
        messages = channel["messages"]
        if args.get("oldest"):
            messages = [m for m in messages if float(m["ts"]) > float(args["oldest"])]
        if args.get("latest"):
            messages = [m for m in messages if float(m["ts"]) < float(args["latest"])]
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = messages[start : start + limit]
        more = start + limit < len(messages)
        meta = {"next_cursor": str(start + limit) if more else ""}
        return JSONResponse({"ok": True, "messages": page, "has_more": more, "response_metadata": meta})

    async def list_conversations(self, request: Request, body: Any) -> Response:
        args = await self._args(request, body)
        types = set(str(args.get("types") or "public_channel").split(","))
        if not types <= {"public_channel", "private_channel", "mpim", "im"}:
            return _fail("invalid_types")
        exclude_archived = str(args.get("exclude_archived", "false")).lower() in ("true", "1")
        channels = [
            {
                "id": cid,
                "name": c["name"],
                "is_channel": True,
                "is_private": c["is_private"],
                "is_member": c["is_member"],
                "is_archived": c.get("is_archived", False),
                "num_members": 3,
                "topic": {"value": f"{c['name']} topic", "creator": "U0ALICE", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
            }
            for cid, c in self.channels.items()
            if ("private_channel" if c["is_private"] else "public_channel") in types
            and not (exclude_archived and c.get("is_archived"))
        ]
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        more = start + limit < len(channels)
        meta = {"next_cursor": str(start + limit) if more else ""}
        return JSONResponse(
            {"ok": True, "channels": channels[start : start + limit], "response_metadata": meta}
        )

    async def add_reaction(self, request: Request, body: Any) -> Response:
        args = await self._args(request, body)
        for field in ("channel", "timestamp", "name"):
            if not args.get(field):
                return _missing(field)
        if args["channel"] not in self.channels:
            return _fail("channel_not_found")
        message = next(
            (m for m in self.channels[args["channel"]]["messages"] if m["ts"] == args["timestamp"]), None
        )
        if message is None:
            return _fail("message_not_found")
        if ":" in args["name"]:
            return _fail("invalid_name")
        reactions = message.setdefault("reactions", [])
        if any(r["name"] == args["name"] for r in reactions):
            return _fail("already_reacted")
        reactions.append({"name": args["name"], "users": ["U0BOT"], "count": 1})
        return JSONResponse({"ok": True})

    async def auth_test(self, request: Request, body: Any) -> Response:
        return JSONResponse(
            {
                "ok": True,
                "url": "https://acme.slack.com/",
                "team": "Acme",
                "user": "agentflow",
                "team_id": "T0ACME",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
                "is_enterprise_install": False,
            }
        )

    async def auth_revoke(self, request: Request, body: Any) -> Response:
        self.revoked.add(self.token)
        return JSONResponse({"ok": True, "revoked": True})
