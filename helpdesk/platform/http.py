"""Facts of an HTTP request that every edge reads the same way."""

import ipaddress

from django.conf import settings


def client_ip(meta: dict) -> str | None:
    """The client's address, trusting X-Forwarded-For only as far as TRUSTED_PROXY_COUNT says.

    Each trusted proxy appends the address it received the connection from, so with N proxies
    the client is the N-th entry from the right; anything further left is client-supplied and
    can be forged. With no trusted proxy the header is ignored.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    candidate = meta.get("REMOTE_ADDR")
    if proxies > 0:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None
