"""Origin checks for websocket handshakes.

Browsers always send Origin, so a page on another site can only open our sockets with its own
origin in the header: that is what we check. A handshake without Origin comes from a program
(an integration, a test client), not a browser, and carries its own credentials.

Our own pages are recognised as Django's CSRF check recognises them for HTTP: the full origin
(scheme, host, port) equals the site's own origin, i.e. the handshake's scheme (https over TLS,
or per SECURE_PROXY_SSL_HEADER behind the TLS proxy) with its Host header, which must be one of
ALLOWED_HOSTS; or it is listed in CSRF_TRUSTED_ORIGINS. Comparing the host alone let a page on
another port or over plain http of the same host name (another service, a dev server) use an
agent's session cookie.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _normalised(origin: str) -> str:
    """`scheme://host[:port]`, lower-cased, the scheme's default port dropped. Raises ValueError
    for anything without a scheme and a host, or with a port that is not a number in 0–65535."""
    parts = urlsplit(origin.strip().lower())
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an origin: {origin!r}")
    port = parts.port
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    suffix = f":{port}" if port is not None and port != DEFAULT_PORTS.get(parts.scheme) else ""
    return f"{parts.scheme}://{host}{suffix}"


def _is_secure(scope) -> bool:
    """Django's `request.is_secure()` for a handshake: the trusted proxy's header when it is
    configured and present, else whether the connection itself came over TLS."""
    if settings.SECURE_PROXY_SSL_HEADER:
        name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = _header(scope, name.removeprefix("HTTP_").replace("_", "-").lower().encode())
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


def _site_origin(scope) -> str | None:
    """The origin our own pages have when served on this handshake's host, or None when the
    Host header is missing or not one of ALLOWED_HOSTS (Django's `get_host()` refuses it)."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # as Django's get_host() under DEBUG
    if not domain or not validate_host(domain, allowed):
        return None
    return _normalised(f"{'https' if _is_secure(scope) else 'http'}://{host}")


def _trusted(origin: str) -> bool:
    """In CSRF_TRUSTED_ORIGINS, exactly or by a `scheme://*.domain` entry, as Django reads it."""
    parts = urlsplit(origin)
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" in trusted:
            pattern = urlsplit(trusted.lower())
            if pattern.scheme == parts.scheme and is_same_domain(parts.netloc, pattern.netloc.lstrip("*")):
                return True
        elif _normalised(trusted) == origin:
            return True
    return False


def _own_origin(origin: str, scope) -> bool:
    """Precondition: `origin` is normalised."""
    return origin == _site_origin(scope) or _trusted(origin)


def agent_origin_allowed(scope) -> bool:
    """Agent pages are served by us: only our own origin may open an agent socket."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    try:
        return _own_origin(_normalised(origin), scope)
    except ValueError:  # a malformed Origin is nobody's origin
        return False


def visitor_origin_allowed(scope) -> bool:
    """Our own pages, plus the sites listed in WIDGET_ALLOWED_ORIGINS ("*" allows any)."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    allowed = settings.WIDGET_ALLOWED_ORIGINS
    if "*" in allowed:
        return True
    try:
        origin = _normalised(origin)
        return _own_origin(origin, scope) or origin in {_normalised(item) for item in allowed}
    except ValueError:  # a malformed Origin (e.g. a port out of range)
        return False
