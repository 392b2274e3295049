"""One outbound request through a guarded client, following redirects hop by hop.

Each hop is a new connection through the guard (so it is checked again). When a redirect leaves the
origin (scheme, host or port changes), headers that carry credentials are dropped — `Authorization`,
`Cookie`, API-key headers and any the caller names — so a redirect cannot forward a tenant's secret to
another host.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from agentflow.egress.policy import EgressRefused

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-goog-api-key",
        "x-amz-security-token",
    }
)


class ResponseTooLarge(Exception):
    """The response body passed the size the caller accepts."""


class TooManyRedirects(Exception):
    """More than `MAX_REDIRECTS` redirects."""


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: dict[str, str]
    content: bytes
    url: str  # after redirects


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise EgressRefused(f"Only absolute http(s) URLs can be called, not {url!r}")
    return url


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    json: Any = None,
    content: str | bytes | None = None,
    timeout: float,
    max_bytes: int,
    credential_headers: Iterable[str] = (),
) -> OutboundResponse:
    """Send through `client` (a `guarded_client`); raises EgressRefused, ResponseTooLarge, TooManyRedirects
    or httpx's transport errors."""
    sensitive = CREDENTIAL_HEADERS | {name.lower() for name in credential_headers}
    current = dict(headers or {})
    url = _checked_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        request = client.build_request(
            method, url, headers=current, params=params, json=json, content=content, timeout=timeout
        )
        response = await client.send(request, stream=True)
        try:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                target = _checked_url(urljoin(str(request.url), location))
                if _origin(target) != _origin(str(request.url)):
                    current = {k: v for k, v in current.items() if k.lower() not in sensitive}
                if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                    method, json, content = "GET", None, None
                url, params = target, None  # the Location already carries its own query
                continue
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise ResponseTooLarge(f"The response of {url} is larger than {max_bytes} bytes")
        finally:
            await response.aclose()
        return OutboundResponse(response.status_code, dict(response.headers), bytes(body), str(request.url))
    raise TooManyRedirects(f"{url} redirected more than {MAX_REDIRECTS} times")
