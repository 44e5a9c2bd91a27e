"""The client's address: one function, used by the sign-in lockout (django-axes)
and by the rate limits (django-ratelimit).

X-Forwarded-For is written by whoever sends the request, so it is believed only
from the proxies the operator lists in TRUSTED_PROXIES (none by default). When
the direct peer is such a proxy, the client is the right-most address in the
header that is not itself a trusted proxy: everything left of it was written by
the client and may be forged.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent the request, as a string."""
    peer = request.META.get("REMOTE_ADDR", "")
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    peer_address = _address(peer)
    if not trusted or peer_address is None or not _is_in(peer_address, trusted):
        return peer
    hops = [_address(hop) for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        if hop is None:
            # Garbage in the header: nothing to its left can be believed either.
            break
        if not _is_in(hop, trusted):
            return str(hop)
    # Only trusted proxies (or nothing usable) in the header: the proxy itself.
    return peer


def _is_in(address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)
