"""A loopback Gmail API v1 (https://gmail.googleapis.com/gmail/v1/users/me/…) and Google's token revocation
endpoint: messages kept as real MIME, served in Gmail's JSON `payload` form (headers, parts, base64url
bodies); Google's error shape; 401 for a wrong token; 400 for a message without recipients."""

from __future__ import annotations

import base64
import itertools
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import SMTP
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.rest_fake import Refused, RestFake

ACCESS_TOKEN = "ya29.fake-gmail-token"
REFRESH_TOKEN = "1//fake-refresh"
BASE = "/gmail/v1/users/me"


def google_error(code: int, message: str, status: str, reason: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": status,
        }
    }


def google_unauthorized() -> Response:
    body = google_error(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
        "other valid authentication credential.",
        "UNAUTHENTICATED",
        "authError",
    )
    return JSONResponse(
        body, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def payload(part: Message, part_id: str = "") -> dict[str, Any]:
    """A MIME part in Gmail's `payload` shape."""
    out: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": [{"name": k, "value": str(v)} for k, v in part.items()],
    }
    if part.is_multipart():
        children = part.get_payload()
        assert isinstance(children, list)
        out["body"] = {"size": 0}
        out["parts"] = [payload(child, f"{part_id}.{i}".lstrip(".")) for i, child in enumerate(children)]
    else:
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        out["body"] = (
            {"size": len(data), "attachmentId": "ANGjdJ-fake"}
            if out["filename"]
            else {"size": len(data), "data": _b64(data)}
        )
    return out


def _snippet(message: Message) -> str:
    for part in message.walk():
        data = part.get_payload(decode=True)
        if part.get_content_maintype() == "text" and not part.get_filename() and isinstance(data, bytes):
            return " ".join(data.decode().split())[:100]
    return ""


def mail(
    sender: str, subject: str, text: str | None, *, html: str | None = None, attachment: bool = False
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = "me@acme.example.com"
    message["Subject"] = subject
    message["Date"] = "Tue, 1 Dec 2026 09:00:00 +0000"
    message["Message-ID"] = f"<{abs(hash(subject))}@mail.test>"
    if text is not None:
        message.set_content(text)
        if html:
            message.add_alternative(html, subtype="html")
    elif html:
        message.set_content(html, subtype="html")
    if attachment:
        message.add_attachment(
            b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf"
        )
    return message


class GmailAPI(RestFake):
    def __init__(self) -> None:
        super().__init__(ACCESS_TOKEN)
        self._ids = itertools.count(1)
        self.messages: dict[str, dict[str, Any]] = {}  # newest last
        self.revoked: list[str] = []
        self.seed()
        self.route(f"{BASE}/profile", ["GET"], self.profile)
        self.route(f"{BASE}/messages", ["GET"], self.list_messages)
        self.route(f"{BASE}/messages/send", ["POST"], self.send)
        self.route(f"{BASE}/messages/{{message_id}}", ["GET"], self.get_message)
        self.route(f"{BASE}/drafts", ["POST"], self.create_draft)
        self.route("/revoke", ["POST"], self.revoke, auth=False)

    def seed(self) -> None:
        self.messages.clear()
        self.revoked.clear()
        self.store(
            mail("Alice <alice@example.com>", "Quarterly report", "Numbers attached.", attachment=True),
            ["INBOX"],
        )
        self.store(
            mail("bob@example.com", "Lunch?", None, html="<p>Lunch <b>today</b>?</p><script>x()</script>"),
            ["INBOX", "UNREAD"],
        )
        self.store(
            mail("carol@example.com", "Invoice 42", "Please pay invoice 42.", html="<p>html</p>"),
            ["INBOX", "UNREAD"],
        )

    def reset(self) -> None:
        super().reset()
        self.seed()

    def unauthorized(self) -> Response:
        return google_unauthorized()

    def store(self, message: Message, labels: list[str], thread_id: str | None = None) -> dict[str, Any]:
        message_id = f"18c{next(self._ids):013x}"
        record = {"id": message_id, "threadId": thread_id or message_id, "labelIds": labels, "mime": message}
        self.messages[message_id] = record
        return record

    def parsed(self, message_id: str) -> Message:
        return self.messages[message_id]["mime"]  # type: ignore[no-any-return]

    async def profile(self, request: Request, body: Any) -> Response:
        return JSONResponse(
            {
                "emailAddress": "me@acme.example.com",
                "messagesTotal": len(self.messages),
                "threadsTotal": 3,
                "historyId": "9",
            }
        )

    def _matches(self, record: dict[str, Any], query: str) -> bool:
        mime: Message = record["mime"]
        for term in query.split():
            key, _, value = term.partition(":")
            if term == "is:unread":
                ok = "UNREAD" in record["labelIds"]
            elif key == "from" and value:
                ok = value.lower() in str(mime["From"]).lower()
            elif key == "subject" and value:
                ok = value.lower() in str(mime["Subject"]).lower()
            elif term == "has:attachment":
                ok = any(part.get_filename() for part in mime.walk())
            else:
                ok = term.lower() in mime.as_string().lower()
            if not ok:
                return False
        return True

    async def list_messages(self, request: Request, body: Any) -> Response:
        query = request.query_params
        labels = query.getlist("labelIds")
        limit = int(query.get("maxResults", "100"))
        if not 1 <= limit <= 500:
            raise Refused(400, google_error(400, "Invalid maxResults", "INVALID_ARGUMENT", "invalidArgument"))
        found = [
            r
            for r in reversed(self.messages.values())
            if all(label in r["labelIds"] for label in labels) and self._matches(r, query.get("q", ""))
        ]
        start = int(query.get("pageToken") or 0)
        page = found[start : start + limit]
        answer: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if page:  # Gmail leaves `messages` out when nothing matches
            answer["messages"] = [{"id": r["id"], "threadId": r["threadId"]} for r in page]
        if start + limit < len(found):
            answer["nextPageToken"] = str(start + limit)
        return JSONResponse(answer)

    async def get_message(self, request: Request, body: Any) -> Response:
        record = self.messages.get(request.path_params["message_id"])
        if record is None:
            raise Refused(404, google_error(404, "Requested entity was not found.", "NOT_FOUND", "notFound"))
        mime: Message = record["mime"]
        answer = {
            "id": record["id"],
            "threadId": record["threadId"],
            "labelIds": record["labelIds"],
            "snippet": _snippet(mime),
            "sizeEstimate": len(mime.as_bytes()),
            "internalDate": "1796115600000",
        }
        full = payload(mime)
        if request.query_params.get("format") == "metadata":
            wanted = {h.lower() for h in request.query_params.getlist("metadataHeaders")}
            full = {
                "partId": "",
                "mimeType": full["mimeType"],
                "filename": "",
                "headers": [h for h in full["headers"] if h["name"].lower() in wanted],
                "body": {"size": 0},
            }
        return JSONResponse(answer | {"payload": full})

    def _decode_raw(self, raw: Any) -> Message:
        if not isinstance(raw, str) or not raw:
            raise Refused(
                400,
                google_error(
                    400,
                    "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
                    "INVALID_ARGUMENT",
                    "invalidArgument",
                ),
            )
        message = message_from_bytes(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), policy=SMTP)
        if not any(message[h] for h in ("To", "Cc", "Bcc")):
            raise Refused(
                400, google_error(400, "Recipient address required", "INVALID_ARGUMENT", "invalidArgument")
            )
        return message

    async def send(self, request: Request, body: Any) -> Response:
        message = self._decode_raw((body or {}).get("raw"))
        message["From"] = "me@acme.example.com"
        record = self.store(message, ["SENT"], (body or {}).get("threadId"))
        return JSONResponse({"id": record["id"], "threadId": record["threadId"], "labelIds": ["SENT"]})

    async def create_draft(self, request: Request, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
            raise Refused(
                400, google_error(400, "Missing draft message", "INVALID_ARGUMENT", "invalidArgument")
            )
        message = self._decode_raw(body["message"].get("raw"))
        record = self.store(message, ["DRAFT"], body["message"].get("threadId"))
        return JSONResponse(
            {
                "id": f"r-{record['id']}",
                "message": {"id": record["id"], "threadId": record["threadId"], "labelIds": ["DRAFT"]},
            }
        )

    async def revoke(self, request: Request, body: Any) -> Response:
        token = (body or {}).get("token") if isinstance(body, dict) else None
        if token not in (ACCESS_TOKEN, REFRESH_TOKEN) or token in self.revoked:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "Token expired or revoked"}, status_code=400
            )
        self.revoked.append(token)
        return JSONResponse({})
