"""Origin checks for websocket handshakes.

Browsers always send Origin, so a page on another site can only open our sockets with its own
origin in the header: that is what we check. A handshake without Origin comes from a program
(an integration, a test client), not a browser, and carries its own credentials.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _normalised(origin: str) -> str:
    parts = urlsplit(origin.strip().lower())
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _same_origin(origin: str, scope) -> bool:
    host = _header(scope, b"host")
    return host is not None and urlsplit(origin).netloc.lower() == host.lower()


def agent_origin_allowed(scope) -> bool:
    """Agent pages are served by us: the Origin's host must be one of ALLOWED_HOSTS."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    try:
        host, _port = split_domain_port(urlsplit(origin).netloc)
    except ValueError:  # a malformed Origin is nobody's origin
        return False
    return bool(host) and validate_host(host, settings.ALLOWED_HOSTS)


def visitor_origin_allowed(scope) -> bool:
    """Our own pages, plus the sites listed in WIDGET_ALLOWED_ORIGINS ("*" allows any)."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    try:
        if _same_origin(origin, scope):
            return True
        allowed = settings.WIDGET_ALLOWED_ORIGINS
        return "*" in allowed or _normalised(origin) in {_normalised(item) for item in allowed}
    except ValueError:  # a malformed Origin (e.g. a port out of range)
        return False
