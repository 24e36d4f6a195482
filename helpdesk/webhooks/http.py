"""The SSRF-safe HTTP client of webhooks: which URLs may be called, and a POST that connects only
to addresses that were checked.

A URL is refused unless it is http(s) with a valid port and its host resolves to public addresses
(WEBHOOK_ALLOW_PRIVATE lifts the address rule). The POST resolves and checks the host itself and
then connects to those very addresses, never resolving again, and never follows redirects."""

import functools
import http.client
import ipaddress
import socket
import ssl
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from helpdesk.platform.errors import DomainError, ErrorCode


def url_check(url: str) -> str:
    """Only http(s) URLs with a valid port whose host resolves to public addresses (loopback,
    private, link-local and other non-global ones are refused unless WEBHOOK_ALLOW_PRIVATE is
    set, which leaves only the form of the URL checked). Raises DomainError on `url`."""
    parts, port = _parsed(url)
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        _checked_addresses(parts.hostname, port)
    return url


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """POST `body` to `url`: the response's status and "", or None and why no answer came (the URL
    refused by the address rule, a timeout, a connection or TLS error)."""
    try:  # checked again at every request, DNS may have changed; then connect to what was checked
        parts, port = _parsed(url)
        addresses = _checked_addresses(parts.hostname, port)
    except DomainError as refused:
        return None, refused.detail
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, addresses=addresses, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        return connection.getresponse().status, ""
    except (OSError, http.client.HTTPException, ValueError) as error:
        return None, str(error)[:300]
    finally:
        connection.close()


def _parsed(url: str) -> tuple[SplitResult, int]:
    """The URL's parts and its port (the scheme's default when it names none)."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # e.g. "Invalid IPv6 URL"
        raise DomainError(ErrorCode.INVALID, f"Not a valid URL: {error}.", field="url") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError(ErrorCode.INVALID, "Webhook URLs must be http:// or https:// URLs.", field="url")
    try:
        port = parts.port  # None when the URL names none
    except ValueError:  # above 65535 or not a number
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise DomainError(ErrorCode.INVALID, "The port must be a number from 1 to 65535.", field="url")
    return parts, port or (443 if parts.scheme == "https" else 80)


def _checked_addresses(host: str, port: int) -> list[str]:
    """The host's addresses in the resolver's order, each checked (unless WEBHOOK_ALLOW_PRIVATE)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:
        raise DomainError(ErrorCode.INVALID, f"Cannot resolve {host}.", field="url") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address.split("%")[0])):
                raise DomainError(ErrorCode.INVALID, f"{host} is a private or local address.", field="url")
    return addresses


# IPv6 forms that carry an IPv4 address in their last 32 bits: NAT64's well-known prefix, the
# deprecated IPv4-compatible and IPv4-translated forms. A NAT64 gateway turns 64:ff9b::7f00:1
# into 127.0.0.1 on its own side, so the IPv4 address is what gets reached.
_IPV4_IN_LOW_BITS = tuple(map(ipaddress.ip_network, ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96")))
# Local-use NAT64 (RFC 8215): the operator picks where the IPv4 bits go, so the embedded address
# cannot be read; it is not globally reachable either, though Python 3.11's is_global says it is.
_LOCAL_USE_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally reachable, and so is every IPv4 address it embeds (IPv4-mapped, NAT64, 6to4,
    Teredo...), whose own is_global does not look inside."""
    if not address.is_global:
        return False
    if address.version == 4:
        return True
    if address in _LOCAL_USE_NAT64:
        return False
    embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in network for network in _IPV4_IN_LOW_BITS):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return all(ipv4.is_global for ipv4 in embedded if ipv4 is not None)


def _dial(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of `addresses` that answers."""
    error = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as refused:
            error = refused
    raise error or OSError("no address to connect to")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The system's CA store (or SSL_CERT_FILE's), loaded once per process: loading it takes
    about 150 ms here. Contexts are safe to share between threads. `tls_context.cache_clear()`
    makes the next request load it again (after SSL_CERT_FILE changed)."""
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses resolved and checked beforehand instead of resolving the host
    again: a second lookup may answer differently (DNS rebinding to 127.0.0.1). `host` stays
    the URL's host, so the Host header is the URL's. http.client never follows redirects, which
    could lead to an address nobody checked."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self):
        self.sock = _dial(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As _PinnedHTTPConnection; TLS runs over the pinned socket with the URL's host as SNI
    and as the name the certificate must match (the default context verifies both)."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout, context=tls_context())
        self.addresses = addresses

    def connect(self):
        pinned = _dial(self.addresses, self.port, self.timeout)
        self.sock = tls_context().wrap_socket(pinned, server_hostname=self.host)
