"""What the egress guard lets through: public addresses, the private destinations an operator allowlists
(`AGENTFLOW_EGRESS_ALLOWLIST`), and never the stack's own services (Prefect, Vault, Postgres, this API).

No tenant setting widens it: the policy is built from the operator's settings only, once per process.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psutil

from agentflow.egress.addresses import IPAddress, embedded_ipv4, is_public, parse_address

if TYPE_CHECKING:
    from agentflow.config import Settings

logger = logging.getLogger("agentflow.egress")

ALLOWLIST_SETTING = "AGENTFLOW_EGRESS_ALLOWLIST"
# Where operators read how to allow a destination (the heading "Allowing private destinations").
ALLOWLIST_DOCS = "docs/security.md#allowing-private-destinations"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "postgresql": 5432, "postgres": 5432}
_LOCAL = "local"  # the key of every address that reaches this machine (loopback, unspecified, its own)


class EgressRefused(Exception):
    """A destination the guard refuses; the message names it and says how an operator may allow it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_allowlist(text: str) -> tuple[tuple[IPNetwork, ...], frozenset[tuple[str, int]]]:
    """`10.0.0.0/8, 127.0.0.1:11434, ollama.internal:11434` → networks and (host, port) entries."""
    networks: list[IPNetwork] = []
    endpoints: set[tuple[str, int]] = set()
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        host, sep, port = entry.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(
                f"{ALLOWLIST_SETTING}: {entry!r} is neither a CIDR (10.0.0.0/8) nor a host:port entry"
            )
        endpoints.add((host.strip("[]").lower(), int(port)))
    return tuple(networks), frozenset(endpoints)


def _local_addresses() -> set[IPAddress]:
    """Every address of this machine's interfaces: a service bound to 0.0.0.0 answers on each of them."""
    found: set[IPAddress] = set()
    try:
        for addresses in psutil.net_if_addrs().values():
            for entry in addresses:
                address = parse_address(entry.address.split("%", 1)[0])
                if address is not None:
                    found.add(address)
    except OSError:  # pragma: no cover - an exotic sandbox without interface listing
        pass
    return found


def _endpoint(url: str | None) -> tuple[str, int] | None:
    if not url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname, port


@dataclass(frozen=True)
class EgressPolicy:
    """Decides, per connection, whether an address may be reached (see `check`)."""

    networks: tuple[IPNetwork, ...] = ()
    endpoints: frozenset[tuple[str, int]] = frozenset()
    protected: frozenset[tuple[str, int]] = frozenset()
    local: frozenset[IPAddress] = frozenset()

    @classmethod
    def build(cls, allowlist: str = "", *, protected_urls: Iterable[str | None] = ()) -> EgressPolicy:
        """A policy from the allowlist text and the URLs of the services it must never reach."""
        networks, endpoints = parse_allowlist(allowlist)
        local = frozenset(_local_addresses())
        policy = cls(networks=networks, endpoints=endpoints, local=local)
        protected: set[tuple[str, int]] = set()
        for url in protected_urls:
            endpoint = _endpoint(url)
            if endpoint is None:
                continue
            host, port = endpoint
            literal = parse_address(host)
            if literal is not None:
                addresses = [literal]
            else:
                try:
                    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                except OSError:
                    logger.warning("egress guard: cannot resolve the stack service %s:%s", host, port)
                    continue
                addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
            protected.update((policy._key(address), port) for address in addresses)
        return cls(networks=networks, endpoints=endpoints, protected=frozenset(protected), local=local)

    @classmethod
    def from_settings(cls, settings: Settings) -> EgressPolicy:
        """The operator's allowlist; the stack's own services (from the same settings) always refused."""
        return cls.build(
            settings.egress_allowlist,
            protected_urls=(
                settings.prefect_api_url,
                settings.vault_addr,
                settings.database_url,
                settings.public_url,
                os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL"),
            ),
        )

    def _key(self, address: IPAddress) -> str:
        """Addresses that reach the same service share a key: all of this machine's are one."""
        if isinstance(address, ipaddress.IPv6Address):
            address = embedded_ipv4(address) or address
        if address.is_loopback or address.is_unspecified or address in self.local:
            return _LOCAL
        return str(address)

    def check(self, host: str, port: int, address: IPAddress) -> None:
        """Raise `EgressRefused` unless `address` (which `host` resolved to) may be reached on `port`."""
        if (self._key(address), port) in self.protected:
            raise EgressRefused(f"Refusing to call {host}:{port}: it is one of this platform's own services")
        if is_public(address):
            return
        inner = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
        candidates = [address] if inner is None else [address, inner]
        if any(a in network for a in candidates for network in self.networks if a.version == network.version):
            return
        if (host.strip("[]").lower(), port) in self.endpoints or any(
            (str(a), port) in self.endpoints for a in candidates
        ):
            return
        raise EgressRefused(
            f"Refusing to call {host}:{port}: it resolves to a private or local address ({address}). "
            "Only the operator who runs this AgentFlow server can allow private destinations, with the "
            f"{ALLOWLIST_SETTING} setting (see {ALLOWLIST_DOCS}); no organization setting changes this."
        )

    async def resolve(self, host: str, port: int, *, timeout: float | None = None) -> str:
        """The one address to connect to for `host`, checked (every address it resolves to must pass)."""
        literal = parse_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            lookup = asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            infos = await asyncio.wait_for(lookup, timeout)
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        for address in addresses:
            self.check(host, port, address)
        return str(addresses[0])
