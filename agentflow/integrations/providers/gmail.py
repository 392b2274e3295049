"""Gmail: send mail, read the inbox, search, create drafts (Gmail REST API v1).

httpx through `ActionCall.request` rather than google-api-python-client: the client library brings its own
HTTP stack (httplib2), which would bypass the egress guard, the previews and the error mapping. Messages are
built as RFC 822 with the stdlib `email` package and sent base64url-encoded in `raw`, as the API expects.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from html.parser import HTMLParser
from typing import Any, ClassVar

from pydantic import EmailStr, Field

from agentflow.integrations.base import Action, ActionCall, Params, Result
from agentflow.integrations.providers._google import GoogleTool, google_oauth

SCOPES = (
    "https://www.googleapis.com/auth/gmail.readonly",  # read_inbox, search, the connection test
    "https://www.googleapis.com/auth/gmail.compose",  # send_email, create_draft
)
MESSAGES = "gmail/v1/users/me/messages"
FETCH_CONCURRENCY = 5  # message bodies fetched at once (Gmail counts per-user concurrent requests)
HEADER_TEXT = r"^[^\r\n]*$"  # no line breaks: a header value cannot smuggle in other headers


class _Composed(Params):
    to: list[EmailStr] = Field(description="Recipients.", min_length=1, max_length=100)
    cc: list[EmailStr] = Field(default_factory=list, description="Copy recipients.", max_length=100)
    bcc: list[EmailStr] = Field(default_factory=list, description="Blind copy recipients.", max_length=100)
    subject: str = Field(description="Subject line.", max_length=998, pattern=HEADER_TEXT)
    body: str = Field(description="Plain-text body.", max_length=1_000_000)
    html: str | None = Field(
        None,
        description="HTML body; sent alongside the plain text, which stays the fallback.",
        max_length=1_000_000,
    )
    reply_to: EmailStr | None = Field(None, description="Address replies should go to.")
    thread_id: str | None = Field(
        None, description="Gmail thread id to add the message to (a reply).", pattern=r"^[A-Za-z0-9]{1,64}$"
    )
    in_reply_to: str | None = Field(
        None,
        description="Message-ID header of the message answered (keeps the thread in other mail clients).",
        max_length=998,
        pattern=HEADER_TEXT,
    )


def build_raw(params: _Composed) -> str:
    """The RFC 822 message, base64url-encoded (Gmail fills in From with the connected account)."""
    message = EmailMessage(policy=SMTP)
    message["To"] = ", ".join(params.to)
    if params.cc:
        message["Cc"] = ", ".join(params.cc)
    if params.bcc:
        message["Bcc"] = ", ".join(params.bcc)  # Gmail delivers to them and strips the header
    message["Subject"] = params.subject
    if params.reply_to:
        message["Reply-To"] = params.reply_to
    if params.in_reply_to:
        message["In-Reply-To"] = params.in_reply_to
        message["References"] = params.in_reply_to
    message.set_content(params.body)
    if params.html:
        message.add_alternative(params.html, subtype="html")
    return base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")


class SendEmailParams(_Composed):
    pass


class SendEmailResult(Result):
    id: str = Field(description="Gmail message id.")
    thread_id: str
    label_ids: list[str] = Field(default_factory=list)


async def send_email(call: ActionCall, params: SendEmailParams) -> SendEmailResult:
    body: dict[str, Any] = {"raw": build_raw(params)}
    if params.thread_id:
        body["threadId"] = params.thread_id
    sent = await call.request("POST", f"{MESSAGES}/send", json=body)
    return SendEmailResult(id=sent["id"], thread_id=sent["threadId"], label_ids=sent.get("labelIds", []))


class CreateDraftParams(_Composed):
    pass


class CreateDraftResult(Result):
    draft_id: str
    message_id: str
    thread_id: str


async def create_draft(call: ActionCall, params: CreateDraftParams) -> CreateDraftResult:
    message: dict[str, Any] = {"raw": build_raw(params)}
    if params.thread_id:
        message["threadId"] = params.thread_id
    draft = await call.request("POST", "gmail/v1/users/me/drafts", json={"message": message})
    return CreateDraftResult(
        draft_id=draft["id"], message_id=draft["message"]["id"], thread_id=draft["message"]["threadId"]
    )


# --- reading -------------------------------------------------------------------------------------------


class _Reading(Params):
    max_results: int = Field(10, ge=1, le=50, description="At most this many messages, newest first.")
    include_body: bool = Field(True, description="Fetch each message's text body (else headers and snippet).")
    max_body_chars: int = Field(
        10_000, ge=0, le=100_000, description="Bodies are cut after this many characters."
    )
    page_token: str | None = Field(None, description="`next_page_token` of a previous call.", max_length=500)


class ReadInboxParams(_Reading):
    unread_only: bool = Field(False, description="Only unread messages.")


class SearchParams(_Reading):
    query: str = Field(
        description="Gmail search syntax, as in its search box: `from:alice@example.com has:attachment`.",
        min_length=1,
        max_length=2000,
    )


class MessagesResult(Result):
    messages: list[dict[str, Any]] = Field(
        description="id, thread_id, from, to, cc, subject, date, message_id, snippet, labels, unread, body, "
        "attachments (filename, mime_type, size)."
    )
    next_page_token: str | None = None
    result_size_estimate: int | None = None


class _TextOfHtml(HTMLParser):
    """Readable text of an HTML-only message (scripts and styles dropped)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _decode(data: str) -> str:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", errors="replace")


def _walk(part: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [part, *(p for child in part.get("parts", []) for p in _walk(child))]


def _text_body(payload: Mapping[str, Any]) -> str:
    parts = _walk(payload)
    for wanted in ("text/plain", "text/html"):
        for part in parts:
            data = (part.get("body") or {}).get("data")
            if part.get("mimeType") == wanted and data and not part.get("filename"):
                if wanted == "text/plain":
                    return _decode(data)
                parser = _TextOfHtml()
                parser.feed(_decode(data))
                return "".join(parser.parts).strip()
    return ""


def summarize(message: Mapping[str, Any], *, max_body_chars: int | None) -> dict[str, Any]:
    payload = message.get("payload") or {}
    headers = {h["name"].lower(): h["value"] for h in payload.get("headers", [])}
    labels = message.get("labelIds", [])
    summary: dict[str, Any] = {
        "id": message["id"],
        "thread_id": message.get("threadId"),
        "from": headers.get("from"),
        "to": headers.get("to"),
        "cc": headers.get("cc"),
        "subject": headers.get("subject"),
        "date": headers.get("date"),
        "message_id": headers.get("message-id"),
        "snippet": message.get("snippet"),
        "labels": labels,
        "unread": "UNREAD" in labels,
    }
    if max_body_chars is not None:
        summary["body"] = _text_body(payload)[:max_body_chars]
        summary["attachments"] = [
            {
                "filename": p["filename"],
                "mime_type": p.get("mimeType"),
                "size": (p.get("body") or {}).get("size"),
            }
            for p in _walk(payload)
            if p.get("filename")
        ]
    return summary


async def _messages(call: ActionCall, params: _Reading, query: dict[str, Any]) -> MessagesResult:
    query = {**query, "maxResults": params.max_results}
    if params.page_token:
        query["pageToken"] = params.page_token
    listed = await call.request("GET", MESSAGES, params=query)
    detail = (
        {"format": "full"}
        if params.include_body
        else {"format": "metadata", "metadataHeaders": ["From", "To", "Cc", "Subject", "Date", "Message-ID"]}
    )
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def fetch(message_id: str) -> Any:
        async with gate:
            return await call.request("GET", f"{MESSAGES}/{message_id}", params=detail)

    found = await asyncio.gather(*(fetch(m["id"]) for m in listed.get("messages", [])))
    return MessagesResult(
        messages=[
            summarize(m, max_body_chars=params.max_body_chars if params.include_body else None) for m in found
        ],
        next_page_token=listed.get("nextPageToken"),
        result_size_estimate=listed.get("resultSizeEstimate"),
    )


async def read_inbox(call: ActionCall, params: ReadInboxParams) -> MessagesResult:
    query: dict[str, Any] = {"labelIds": "INBOX"}
    if params.unread_only:
        query["q"] = "is:unread"
    return await _messages(call, params, query)


async def search(call: ActionCall, params: SearchParams) -> MessagesResult:
    return await _messages(call, params, {"q": params.query})


class GmailTool(GoogleTool):
    name = "gmail"
    label = "Gmail"
    description = (
        "Send email, read and search the inbox, and write drafts in a Gmail or Google Workspace mailbox."
    )
    category = "communication"
    scopes = SCOPES
    oauth = google_oauth(SCOPES)
    api_base = "https://gmail.googleapis.com"
    actions: ClassVar[tuple[Action, ...]] = (
        Action(
            "send_email",
            "Send an email from the connected mailbox.",
            SendEmailParams,
            send_email,
            SendEmailResult,
        ),
        Action(
            "read_inbox",
            "Read the newest messages in the inbox (sender, subject, date, text body).",
            ReadInboxParams,
            read_inbox,
            MessagesResult,
            side_effect=False,
        ),
        Action(
            "search",
            "Find messages with Gmail's search syntax (from:, subject:, has:attachment, newer_than:…).",
            SearchParams,
            search,
            MessagesResult,
            side_effect=False,
        ),
        Action(
            "create_draft",
            "Save an email as a draft for a person to review and send.",
            CreateDraftParams,
            create_draft,
            CreateDraftResult,
        ),
    )

    async def test(self, call: ActionCall) -> dict[str, Any]:
        profile = await call.request("GET", "gmail/v1/users/me/profile")
        return {"email": profile.get("emailAddress"), "messages_total": profile.get("messagesTotal")}


TOOL = GmailTool()
