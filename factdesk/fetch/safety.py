"""SSRF guard: which addresses a fetch may connect to. Every DNS answer of every hop is checked."""

from __future__ import annotations

import ipaddress
import socket

from factdesk.fetch.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refusal(address: IPAddress) -> str:
    """Why ``address`` must not be fetched by default (loopback, private, link-local such as the cloud metadata
    169.254.169.254, shared, reserved, multicast); "" for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{address} is {article} {kind.replace('_', '-')} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return ""


def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses of ``host``; raises FetchError if it does not resolve or, unless ``allow_private``, if any
    answer is not public (a name that resolves to one public and one private address is refused)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in answers))
    if not allow_private:
        for text in addresses:
            reason = address_refusal(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason:
                raise FetchError(f"refused: {host} resolves to {reason} (set [fetch] allow_private = true to allow)")
    return addresses
