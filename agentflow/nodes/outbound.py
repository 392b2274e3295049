"""Outgoing HTTP for action nodes: SSRF guard, pinned DNS, manual redirects, a response size limit.

The guard resolves the host once, refuses private, loopback, link-local and other non-public addresses
(unless the org allows its private network), and connects to the address it checked — so a DNS answer that
changes between the check and the connection (rebinding) cannot redirect the request inward.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import orjson

from agentflow.engine.errors import PermanentStepError, TransientStepError

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: Any

    def as_output(self) -> dict[str, Any]:
        return {"status": self.status, "headers": self.headers, "body": self.body}


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve_checked(host: str, port: int, *, allow_private: bool) -> str:
    """One address for `host` that the guard accepts (raises a permanent step error otherwise)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addresses = [literal]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise TransientStepError(f"Cannot resolve host {host!r}: {exc.strerror}") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not allow_private:
        blocked = [a for a in addresses if not _is_public(a)]
        if blocked:
            raise PermanentStepError(
                f"Refusing to call {host}: it resolves to a private or local address ({blocked[0]}). "
                "An admin can allow this with the org setting allow_private_network."
            )
    return str(addresses[0])


def _parse_body(content: bytes, content_type: str) -> Any:
    if "json" in content_type:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return content.decode("utf-8", errors="replace")


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    json: Any = None,
    content: str | bytes | None = None,
    timeout_seconds: float,
    allow_private: bool,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> HttpResponse:
    """Send a request through the guard, following redirects hop by hop (each hop checked)."""
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PermanentStepError(f"Only absolute http(s) URLs can be called, not {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = await resolve_checked(parts.hostname, port, allow_private=allow_private)
        host_header = parts.netloc.rsplit("@", 1)[-1]
        pinned = parts._replace(netloc=f"[{address}]:{port}" if ":" in address else f"{address}:{port}")
        request = client.build_request(
            method,
            pinned.geturl(),
            headers={**(headers or {}), "Host": host_header},
            params=params,
            json=json,
            content=content,
            timeout=timeout_seconds,
            extensions={"sni_hostname": parts.hostname},
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise TransientStepError(f"{method} {url} timed out after {timeout_seconds:g}s") from exc
        except httpx.TransportError as exc:
            raise TransientStepError(f"{method} {url} failed: {exc}") from exc
        try:
            if response.status_code in _REDIRECTS and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                    method, json, content = "GET", None, None
                continue
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise PermanentStepError(f"The response of {url} is larger than {max_bytes} bytes")
        finally:
            await response.aclose()
        return HttpResponse(
            status=response.status_code,
            headers=dict(response.headers),
            body=_parse_body(bytes(body), response.headers.get("content-type", "")),
        )
    raise PermanentStepError(f"{url} redirected more than {MAX_REDIRECTS} times")


def raise_for_status(method: str, url: str, response: HttpResponse) -> None:
    """429 and 5xx are worth retrying; other 4xx are not. The error output carries the response."""
    if response.status < 400:
        return
    message = f"{method} {url} answered HTTP {response.status}"
    if response.status == 429 or response.status >= 500:
        raise TransientStepError(message, output={"error": message, **response.as_output()})
    raise PermanentStepError(message, output={"error": message, **response.as_output()})
