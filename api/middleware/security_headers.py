"""Browser-hardening headers on every HTTP response: a Content-Security-Policy, no sniffing, no framing, a
referrer policy, and HSTS when the public URL is https."""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The built web app (api/static) loads only its own hashed files: no inline script, no CDN. Inline styles
# stay allowed: React Flow and the UI's components position nodes with `style` attributes.
APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI and ReDoc pages load their bundles from jsDelivr and start them with an inline
# script; ReDoc's search runs in a blob: worker, its fonts come from Google Fonts. Only those pages get it.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' data: https://fonts.gstatic.com; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"

_COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
)


def security_headers(path: str, *, docs_paths: Collection[str], hsts: bool) -> list[tuple[bytes, bytes]]:
    """The headers a response to `path` carries (also used by the 500 handler, which runs outside us)."""
    policy = DOCS_POLICY if path in docs_paths else APP_POLICY
    headers = [(b"content-security-policy", policy.encode()), *_COMMON]
    if hsts:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, docs_paths: Collection[str], hsts: bool) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        # Built once: a response only picks one of the two lists.
        self.app_headers = security_headers("", docs_paths=(), hsts=hsts)
        self.docs_headers = [(b"content-security-policy", DOCS_POLICY.encode()), *self.app_headers[1:]]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs_headers if scope["path"] in self.docs_paths else self.app_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
