"""A session with a remote MCP server over streamable HTTP, through the egress guard.

The `mcp` SDK speaks `httpx2`; our guarded client is `httpx`. `ViaGuardedClient` is an httpx2 transport
that hands every request to the call's guarded client (so each connection, redirect hop included, is
checked by the egress policy) and streams the answer back. It also remembers the HTTP error statuses the
server answered, because the SDK reports them only as a generic JSON-RPC error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from agentflow.egress import EgressRefused
from agentflow.integrations.base import AuthExpired
from agentflow.nodes.errors import PermanentStepError, StepError, TransientStepError

STREAM_READ_TIMEOUT_SECONDS = 300.0  # the server's event stream may stay quiet between messages


class _Relayed(httpx2.AsyncByteStream):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_raw():
            yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()


class ViaGuardedClient(httpx2.AsyncBaseTransport):
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self.refused: list[int] = []  # HTTP error statuses the server answered, in order

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        content = await request.aread()
        relayed = self._client.build_request(
            request.method, str(request.url), headers=list(request.headers.raw), content=content
        )
        if "timeout" in request.extensions:
            relayed.extensions["timeout"] = request.extensions["timeout"]
        try:
            response = await self._client.send(relayed, stream=True)
        except httpx.TimeoutException as exc:
            raise httpx2.ReadTimeout(str(exc) or "timed out") from exc
        except httpx.TransportError as exc:
            raise httpx2.ConnectError(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            self.refused.append(response.status_code)
        return httpx2.Response(response.status_code, headers=response.headers.raw, stream=_Relayed(response))


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def step_error(exc: BaseException, url: str, refused: list[int]) -> StepError:
    """A failure of the session as a step error: refusals and protocol errors are permanent, an unreachable
    or failing server is transient (the retry policy tries again)."""
    leaves = _leaves(exc)
    for leaf in leaves:
        if isinstance(leaf, StepError):
            return leaf
        if isinstance(leaf, EgressRefused):
            return PermanentStepError(leaf.message, code="egress")
    status = refused[-1] if refused else None
    if status in (401, 403):  # the headers' secrets were refused: the connection needs new ones
        return AuthExpired(
            f"the MCP server at {url} refused the request (HTTP {status}): check the connection's headers",
            code="auth",
        )
    if status is not None and (status == 429 or status >= 500):
        return TransientStepError(f"the MCP server at {url} answered HTTP {status}", code=f"http_{status}")
    if status is not None:
        return PermanentStepError(
            f"the MCP server at {url} answered HTTP {status}: is this its streamable HTTP endpoint?",
            code=f"http_{status}",
        )
    for leaf in leaves:
        if isinstance(leaf, httpx2.TransportError | httpx.TransportError | OSError | TimeoutError):
            return TransientStepError(f"cannot reach the MCP server at {url}: {leaf}", code="unreachable")
        if isinstance(leaf, MCPError):
            return PermanentStepError(f"the MCP server at {url}: {leaf.error.message}", code="mcp_error")
    first = leaves[0]
    return TransientStepError(f"the MCP session with {url} failed: {type(first).__name__}: {first}")


@asynccontextmanager
async def session(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], *, timeout_seconds: float
) -> AsyncIterator[Client]:
    """An initialised MCP client session; every failure leaves as a `StepError`."""
    transport = ViaGuardedClient(http)
    client = httpx2.AsyncClient(
        transport=transport,
        headers=headers,
        timeout=httpx2.Timeout(timeout_seconds, read=STREAM_READ_TIMEOUT_SECONDS),
        follow_redirects=False,
        trust_env=False,
    )
    try:
        async with (
            client,
            Client(
                streamable_http_client(url, http_client=client),
                cache=None,
                read_timeout_seconds=timeout_seconds,
            ) as mcp_client,
        ):
            yield mcp_client
    except Exception as exc:  # the SDK's task groups wrap errors in groups; one mapping for all of them
        raise step_error(exc, url, transport.refused) from None


def content_parts(result: Any) -> list[dict[str, Any]]:
    """A tool result's content as plain JSON (text, images and resources by their wire form)."""
    return [part.model_dump(mode="json", by_alias=True, exclude_none=True) for part in result.content]
