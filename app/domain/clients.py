"""Which client a request comes from: the address a sign-in attempt is counted under.

Behind a reverse proxy every request arrives from the proxy, and the client's address is in
``X-Forwarded-For`` -- a header anybody can send. So the header is believed only when the
request's direct peer is a *trusted proxy*: the setting ``[atlas] trusted_proxies`` (or
``ATLAS_TRUSTED_PROXIES``, comma-separated addresses or networks such as ``10.0.0.0/8``);
nothing is trusted by default. The client is then the last address of the header that is not a
trusted proxy itself.

One more layer: the ASGI server under Streamlit (uvicorn) already replaces the peer by an
address from ``X-Forwarded-For`` when the peer is in *its* trusted list (``FORWARDED_ALLOW_IPS``,
by default 127.0.0.1 and ::1), so what Streamlit reports may be that address rather than the
peer. :func:`client_address` recognises the replacement (the reported address is the one the
server would pick from the header) and then knows only that the peer was in the server's list:
it believes the header when that whole list is trusted here, and otherwise counts the request
under the server's list itself -- e.g. everything that arrived over loopback shares one count,
whatever ``X-Forwarded-For`` it invented.

Every loopback address is ``local`` (Streamlit reports none for it).

>>> client_address("203.0.113.9", None, trusted=())
'203.0.113.9'
>>> client_address("203.0.113.9", "198.51.100.7", trusted=())  # not from a trusted proxy
'203.0.113.9'
>>> client_address("198.51.100.7", "198.51.100.7", trusted=())  # rewritten from loopback
'local'
>>> client_address("198.51.100.7", "198.51.100.7", trusted=("127.0.0.1", "::1"))
'198.51.100.7'
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Sequence

__all__ = ["LOCAL", "SERVER_TRUSTED_DEFAULT", "TRUSTED_PROXIES_ENV", "client_address",
           "parse_networks", "request_client", "trusted_proxies"]

#: The address every loopback client is counted under.
LOCAL = "local"
#: uvicorn's own trusted list when ``FORWARDED_ALLOW_IPS`` is not set.
SERVER_TRUSTED_DEFAULT = "127.0.0.1,::1"
#: The environment variable that names the trusted proxies when the app's settings do not.
TRUSTED_PROXIES_ENV = "ATLAS_TRUSTED_PROXIES"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Iterable[str] | str) -> tuple[Network, ...]:
    """Addresses and networks (``a, b/24``; a list, or text separated by commas) as networks;
    anything that is not one is left out.

    >>> [str(n) for n in parse_networks("127.0.0.1, 10.0.0.0/8, nonsense")]
    ['127.0.0.1/32', '10.0.0.0/8']
    >>> parse_networks("")
    ()
    """
    if isinstance(items, str):
        items = items.split(",")
    out = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            continue
    return tuple(out)


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip().strip("[]"))
    except ValueError:
        return None


def _within(text: str | None, networks: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in n for n in networks)


def _named(text: str | None) -> str:
    """`text` as a counted address: loopback (or nothing) is :data:`LOCAL`."""
    address = _address(text)
    if address is None:
        return LOCAL if not text else text.strip()
    return LOCAL if address.is_loopback else str(address)


def _server_pick(hops: Sequence[str], server: str) -> str:
    """The address uvicorn takes from ``X-Forwarded-For`` `hops` with its trusted list."""
    if server.strip() == "*":
        return hops[0]
    trusted = parse_networks(server)
    return next((hop for hop in reversed(hops) if not _within(hop, trusted)), hops[0])


def client_address(reported: str | None, forwarded_for: str | None, *,
                   trusted: Sequence[str] | str,
                   server_trusted: str = SERVER_TRUSTED_DEFAULT) -> str:
    """The address to count a request under (see the module docstring).

    `reported` is what Streamlit gives (``st.context.ip_address``; None for loopback),
    `forwarded_for` the request's ``X-Forwarded-For``, `trusted` the configured proxies and
    `server_trusted` the ASGI server's ``FORWARDED_ALLOW_IPS``.

    >>> client_address(None, "127.0.0.2", trusted="127.0.0.1,::1")  # a client on 127.0.0.2
    'local'
    >>> client_address("127.0.0.2", "203.0.113.5, 127.0.0.2", trusted="127.0.0.1,::1")
    'local'
    """
    ours = parse_networks(trusted)
    peer = reported if reported is not None else "127.0.0.1"
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    if not hops:
        return _named(peer)
    if peer == _server_pick(hops, server_trusted):  # the server put an address of the header
        server = server_trusted.strip()
        if server == "*" or not all(_within(str(n.network_address), ours)
                                    for n in parse_networks(server)):
            return LOCAL if all(n.network_address.is_loopback for n in parse_networks(server)) \
                else f"via:{server}"
    elif not _within(peer, ours):
        return _named(peer)
    client = next((hop for hop in reversed(hops) if not _within(hop, ours)), hops[0])
    return _named(client)


def trusted_proxies(configured: object = None) -> list[str] | str:
    """The trusted proxies: `configured` (the app's ``[atlas] trusted_proxies``, a list or
    comma-separated text) when set, else ``$ATLAS_TRUSTED_PROXIES``; none by default.

    >>> trusted_proxies(["10.0.0.1"]), trusted_proxies("10.0.0.0/8")
    (['10.0.0.1'], '10.0.0.0/8')
    >>> os.environ.pop(TRUSTED_PROXIES_ENV, None) and None; trusted_proxies()
    ''
    """
    if configured is None:
        configured = os.environ.get(TRUSTED_PROXIES_ENV, "")
    return [str(v) for v in configured] if isinstance(configured, list | tuple) else str(configured)


def request_client(reported: str | None, forwarded_for: str | None, *,
                   configured: object = None) -> str:
    """The address a request is counted under, with the configured trusted proxies and the
    ASGI server's own list (``$FORWARDED_ALLOW_IPS``): what the sign-in form and the OGC API's
    key checks both count by (:func:`client_address`).

    >>> request_client("127.0.0.1", "203.0.113.5", configured="")  # a forged header on loopback
    'local'
    """
    return client_address(reported, forwarded_for, trusted=trusted_proxies(configured),
                          server_trusted=os.environ.get("FORWARDED_ALLOW_IPS",
                                                        SERVER_TRUSTED_DEFAULT))
