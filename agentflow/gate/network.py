"""Addresses and networks: allowlists of CIDRs (IPv4 and IPv6) and the client behind trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_ALLOWLIST_ENTRIES = 200


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`203.0.113.0/24`, `2001:db8::/32`, or a single address; ValueError names the entry that is not one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def normalise(entries: Sequence[str]) -> list[str]:
    """The canonical spelling of each entry (host bits cleared), duplicates dropped, order kept."""
    return list(dict.fromkeys(str(network) for network in parse_networks(entries)))


def parse_address(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def contains(networks: Sequence[Network], address: str) -> bool:
    parsed = parse_address(address)
    if parsed is None:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped  # ::ffff:203.0.113.7 is 203.0.113.7 (a dual-stack socket's peer)
    return any(parsed in network for network in networks if network.version == parsed.version)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """Who is calling: the socket's peer, unless that peer is a trusted proxy; then the right-most address
    of `X-Forwarded-For` that is not itself a trusted proxy (what a client prepends is never believed)."""
    if peer is None:
        return "unknown"
    if not forwarded_for or not trusted or not contains(trusted, peer):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",")][-32:]  # a bound on what is parsed
    for hop in reversed(hops):
        if parse_address(hop) is None:
            return peer  # a malformed chain: trust nothing in it
        if not contains(trusted, hop):
            return hop
    return hops[0] if hops else peer
