"""Events from Slack (Events API) and GitHub (webhooks) delivered to an agent's hook URL.

Each provider signs with the org secret the trigger names, in its own format:

- Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{X-Slack-Request-Timestamp}:{body}">`, checked by
  slack_sdk's `SignatureVerifier`; timestamps more than 5 minutes off are refused. The `url_verification`
  challenge is answered (once signed) without a run. Retries repeat the `event_id`.
- GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`; `ping` is answered without a run.
  Redeliveries repeat `X-GitHub-Delivery`. GitHub signs no timestamp, so delivery ids are kept for longer.

What starts nothing (a challenge, a ping, an event the trigger does not listen to, a repeated delivery) is
answered 200 with a small JSON body: the sender must not retry it, and Slack would for any error.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from slack_sdk.signature import SignatureVerifier

from agentflow.errors import BadRequest
from agentflow.executions import webhook_signatures
from agentflow.executions.webhook_signatures import InvalidSignature
from agentflow.executions.webhooks import WebhookRequest

SUPPORTED = ("slack", "github")
# Longer ids are not the providers' (Slack's event ids and GitHub's GUIDs are short): refused unread.
_MAX_DELIVERY_ID = 100
# Slack retries within minutes; GitHub redeliveries (and replays, with no timestamp to stop them) may come
# days later: GitHub offers redelivery of the past 3 days.
SLACK_KEEP_SECONDS = timedelta(hours=1).total_seconds()
GITHUB_KEEP_SECONDS = timedelta(days=4).total_seconds()


@dataclass(frozen=True)
class Answer:
    """A signed delivery that starts no run, answered 200 with `body`."""

    body: dict[str, Any]


@dataclass(frozen=True)
class Event:
    """A signed event the trigger listens to: its parsed body and the id a repeat of it carries."""

    body: Any
    delivery_id: str
    keep_seconds: float


DUPLICATE = Answer({"ok": True, "duplicate": True})


async def receive(trigger: Mapping[str, Any], request: WebhookRequest, secret: str) -> Event | Answer:
    """Verify the delivery (401 if it fails) and decide whether it starts a run."""
    if trigger.get("integration") == "slack":
        return await _slack(trigger, request, secret)
    return await _github(trigger, request, secret)


async def _slack(trigger: Mapping[str, Any], request: WebhookRequest, secret: str) -> Event | Answer:
    headers = request.headers
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not signature:
        raise InvalidSignature("Missing X-Slack-Signature: Slack signs every request it sends")
    webhook_signatures.check_timestamp(timestamp, "X-Slack-Request-Timestamp")
    if not SignatureVerifier(secret).is_valid(request.body, timestamp, signature):
        raise InvalidSignature("Wrong X-Slack-Signature: check the signing secret of the Slack app")
    body = _json_object(await request.parse_body())
    if body.get("type") == "url_verification":
        return Answer({"challenge": str(body.get("challenge", ""))})
    event = body.get("event")
    event_type = event.get("type") if isinstance(event, dict) else None
    wanted = trigger.get("event")
    if body.get("type") != "event_callback":
        return Answer({"ok": True, "ignored": f"{body.get('type')!r} is not an event callback"})
    if wanted and event_type != wanted:
        return Answer({"ok": True, "ignored": f"{event_type!r} is not the trigger's event ({wanted!r})"})
    delivery = _delivery_id("slack", body.get("event_id"))
    return Event(body=body, delivery_id=delivery, keep_seconds=SLACK_KEEP_SECONDS)


async def _github(trigger: Mapping[str, Any], request: WebhookRequest, secret: str) -> Event | Answer:
    headers = request.headers
    signature = (headers.get("x-hub-signature-256") or "").strip().lower()
    if not signature:
        raise InvalidSignature("Missing X-Hub-Signature-256: set the webhook's secret in GitHub")
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InvalidSignature("Wrong X-Hub-Signature-256: check the webhook's secret in GitHub")
    name = headers.get("x-github-event") or ""
    if name == "ping":
        return Answer({"ok": True, "ping": True})
    body = _json_object(await _github_payload(request))
    action = body.get("action")
    wanted_event, _, wanted_action = str(trigger.get("event") or "").partition(".")
    if (wanted_event and name != wanted_event) or (wanted_action and action != wanted_action):
        shown = f"{name}.{action}" if isinstance(action, str) else name
        return Answer(
            {"ok": True, "ignored": f"{shown!r} is not the trigger's event ({trigger.get('event')!r})"}
        )
    delivery = _delivery_id("github", headers.get("x-github-delivery"))
    return Event(body=body, delivery_id=delivery, keep_seconds=GITHUB_KEEP_SECONDS)


async def _github_payload(request: WebhookRequest) -> Any:
    """GitHub posts JSON, or (content type `application/x-www-form-urlencoded`) the JSON as `payload`."""
    parsed = await request.parse_body()
    if isinstance(parsed, dict) and set(parsed) == {"payload"} and isinstance(parsed["payload"], str):
        try:
            return orjson.loads(parsed["payload"])
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"The payload field is not valid JSON: {exc}", code="malformed_json") from exc
    return parsed


def _json_object(parsed: Any) -> dict[str, Any]:
    if not isinstance(parsed, dict):
        raise BadRequest("The event must be a JSON object", code="malformed_event")
    return parsed


def _delivery_id(provider: str, raw: Any) -> str:
    """The id a repeat of this delivery carries, prefixed so the two providers never collide."""
    if not isinstance(raw, str) or not raw or len(raw) > _MAX_DELIVERY_ID:
        where = "event_id" if provider == "slack" else "X-GitHub-Delivery"
        raise BadRequest(f"The event has no usable {where}", code="malformed_event")
    return f"{provider}:{raw}"
