"""Which IP addresses count as public: the standard library's `is_global`, plus IPv6 forms that carry an
IPv4 address inside them (mapped, compatible, NAT64, 6to4, Teredo), judged by the address they carry."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes whose low 32 bits (or, for 6to4, bits 16-48) are an IPv4 address that a gateway or the host
# itself may deliver to: `64:ff9b::7f00:1` reaches 127.0.0.1 through a NAT64 gateway.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# IPv4-compatible addresses (`::7f00:1`), deprecated since 2006 and never a real public destination.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, if it is one of the forms that carry one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address that carries no private IPv4 address inside it."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _IPV4_COMPATIBLE:
            return False
        inner = embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
    return address.is_global and not address.is_multicast


def parse_address(text: str) -> IPAddress | None:
    """An IP literal (brackets allowed, zone ids refused) or None for a host name."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
