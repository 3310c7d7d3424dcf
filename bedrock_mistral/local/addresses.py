"""Where clients can reach a listening emulator: URLs for the address it is bound to, IPv4 or IPv6.

A wildcard bind (`0.0.0.0`, `::`) is not an address a client can connect to; the URL printed for it is the
loopback address of the same family, and the machine's own address is offered for other machines.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket

_LOOPBACK = {4: "127.0.0.1", 6: "::1"}


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def connect_host(bound: str) -> str:
    """The address a local client connects to for a server bound to `bound`."""
    ip = _ip(bound)
    if ip is not None and ip.is_unspecified:
        return _LOOPBACK[ip.version]
    return bound


def url(host: str, port: int) -> str:
    """`http://host:port`, with an IPv6 literal in brackets."""
    ip = _ip(host)
    return f"http://[{host}]:{port}" if ip is not None and ip.version == 6 else f"http://{host}:{port}"


def beyond_loopback(bound: str) -> bool:
    """Whether a server bound to `bound` can be reached from other machines."""
    ip = _ip(bound)
    if ip is None:
        return bound != "localhost"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return not ip.ipv4_mapped.is_loopback
    return not ip.is_loopback


def network_host(bound: str) -> str | None:
    """An address other machines can use: `bound` itself, or for a wildcard bind the address of the
    interface that routes outward (found by routing a UDP socket; no packet is sent). None when offline."""
    ip = _ip(bound)
    if ip is None or not ip.is_unspecified:
        return bound
    family, probe = (
        (socket.AF_INET6, "2001:db8::1") if ip.version == 6 else (socket.AF_INET, "10.255.255.255")
    )
    with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as udp:
        udp.connect((probe, 1))
        return str(udp.getsockname()[0])
    if ip.version == 6:
        return network_host("0.0.0.0")  # a dual-stack bind is reachable over IPv4 too
    return None
