"""SSRF guard: a source URL may only reach the public internet over http(s).

Sources can be added from Slack, so a URL is untrusted input. `check_url` refuses schemes
other than http/https and any host that is (or resolves to) a loopback, private, link-local,
reserved or cloud-metadata address. Resolution is checked at every fetch (the fetcher calls
`check_url` before each request, redirects included), so a name that later re-points to an
internal address is refused then. Tests and demos pass `allow_private=True` for loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Iterable[str]]

# Names that always mean "the machine's metadata service", whatever they resolve to.
_METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
_METADATA_IPS = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("100.100.100.200"),
        ipaddress.ip_address("fd00:ec2::254"),
    }
)


class UnsafeURLError(ValueError):
    """The URL may not be fetched; the message says why (never includes credentials)."""


class UnresolvableHostError(UnsafeURLError):
    """The host name does not resolve: a network problem rather than a refusal."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _unsafe_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _unsafe_reason(ip.ipv4_mapped)
    if ip in _METADATA_IPS:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a shared (carrier-grade NAT) address"
    return None


def _display(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" if parts.scheme else url[:80]


def check_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> None:
    """Raise `UnsafeURLError` unless `url` is http(s) to a public address.

    With `allow_private=True` only the scheme and the presence of a host are checked.
    """
    public_addresses(url, allow_private=allow_private, resolver=resolver)


def public_addresses(
    url: str, *, allow_private: bool, resolver: Resolver | None = None
) -> list[str]:
    """Like `check_url`, and return the checked addresses (empty with `allow_private`).

    The fetcher connects to one of these, so a name cannot re-point to an internal address
    between the check and the connection (DNS rebinding).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError(f"only http and https URLs can be sources, not {scheme or 'none'!r}")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURLError("the URL has no host")
    if allow_private:
        return []
    shown = _display(url)
    if host in _METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
        raise UnsafeURLError(f"{shown} is refused: {host} is an internal name")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        resolve = resolver or system_resolver
        try:
            addresses = list(resolve(host, port or (443 if scheme == "https" else 80)))
        except OSError as exc:
            raise UnresolvableHostError(
                f"{host} does not resolve ({exc.strerror or exc})"
            ) from None
        if not addresses:
            raise UnresolvableHostError(f"{host} does not resolve")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        reason = _unsafe_reason(ip)
        if reason is not None:
            raise UnsafeURLError(f"{shown} is refused: {host} is {reason} ({ip})")
    return [address.split("%", 1)[0] for address in addresses]
