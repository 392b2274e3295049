"""httpx clients whose every TCP connection goes through the egress policy.

The check sits in httpcore's network backend, at `connect_tcp`: the host is resolved once, every address
it resolves to is checked, and the connection goes to the address that was checked — so a DNS answer that
changes between check and connect (rebinding) cannot turn the request inward. URLs, `Host` and TLS (SNI,
certificate checks) keep the host name, and the connection pool stays keyed by it. Every hop of a redirect
is a new request and so is checked again. Clients never read proxy settings from the environment (a proxy
would be the only host the guard sees) and never follow redirects on their own (see `requests.py`).

Two flavours of the same client: `httpx` for our own calls, and `httpx2` (httpx's successor, which the
OpenAI and Anthropic SDKs are built on and insist on) for the provider SDKs.
"""

from __future__ import annotations

import socket
from types import ModuleType
from typing import Any

import httpcore
import httpcore2
import httpx
import httpx2

from agentflow.egress.policy import EgressPolicy, EgressRefused


def _guarded_backend(core: ModuleType, policy: EgressPolicy) -> Any:
    """A network backend of `core` (httpcore or httpcore2) that checks every address before connecting."""
    inner = core.AnyIOBackend()

    class GuardedBackend(core.AsyncNetworkBackend):  # type: ignore[misc,name-defined]
        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> Any:
            try:
                address = await policy.resolve(host, port, timeout=timeout)
            except TimeoutError as exc:
                raise core.ConnectTimeout(f"resolving {host} timed out") from exc
            except socket.gaierror as exc:
                raise core.ConnectError(f"cannot resolve {host}: {exc.strerror}") from exc
            return await inner.connect_tcp(
                address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
            )

        async def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Any = None
        ) -> Any:
            raise EgressRefused("Refusing to connect to a unix socket")

        async def sleep(self, seconds: float) -> None:
            await inner.sleep(seconds)

    return GuardedBackend()


def _guarded_transport(http: ModuleType, core: ModuleType, policy: EgressPolicy, max_connections: int) -> Any:
    """httpx's own transport with the guarded backend under its connection pool."""
    limits = http.Limits(max_connections=max_connections)
    transport = http.AsyncHTTPTransport(trust_env=False, limits=limits)
    # httpx takes no network backend argument; httpcore's pool does (its documented extension point), so the
    # pool httpx built is replaced by the same pool on the guarded backend.
    transport._pool = core.AsyncConnectionPool(
        ssl_context=http.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_guarded_backend(core, policy),
    )
    return transport


def guarded_client(
    policy: EgressPolicy,
    *,
    timeout: float | None = 30.0,
    max_connections: int = 100,
    headers: dict[str, str] | None = None,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` for outbound calls: guarded connections, no env proxies, no auto-redirects."""
    return httpx.AsyncClient(
        transport=_guarded_transport(httpx, httpcore, policy, max_connections),
        trust_env=False,
        follow_redirects=False,
        timeout=timeout,
        headers=headers,
    )


def guarded_sdk_client(
    policy: EgressPolicy, *, timeout: float | None = 60.0, max_connections: int = 100
) -> httpx2.AsyncClient:
    """The same guarded client on `httpx2`, for the OpenAI and Anthropic SDKs (`http_client=`)."""
    return httpx2.AsyncClient(
        transport=_guarded_transport(httpx2, httpcore2, policy, max_connections),
        trust_env=False,
        follow_redirects=False,
        timeout=timeout,
    )
