"""Reading settings from the environment: a wrong value stops the process at start with the
variable's name, rather than misbehaving later."""

import ipaddress
import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_rate(name: str, default: str) -> str:
    """A rate in DRF's form ("120/min", "5/s"); empty means no limit."""
    raw = os.environ.get(name, default).strip()
    if raw and not re.fullmatch(r"\d+/[smhd][a-z]*", raw):
        raise ImproperlyConfigured(f"{name} must look like '120/min' (or be empty), got {raw!r}")
    return raw


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def celery_broker_url(redis_url: str) -> str:
    """REDIS_URL as Celery's broker URL. redis-py (the cache, the channel layer, the rate limits,
    the health checks) reads a unix socket as `unix:///path?db=N`; kombu wants
    `redis+socket:///path?virtual_host=N`. TCP URLs (redis://, rediss://) are the same for both."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    query = dict(parse_qsl(parts.query))
    query["virtual_host"] = query.pop("db", "0")
    # Built by hand: urlunsplit() drops the empty host, and kombu then reads the path as a host.
    return f"redis+socket://{parts.netloc}{parts.path}?{urlencode(query)}"


def env_networks(name: str, default: str = "") -> list[str]:
    """Comma-separated addresses or networks ("127.0.0.1", "10.0.0.0/8", "::1"), normalised;
    empty means none."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} must list IP addresses or networks, got {item!r}") from exc
    return networks
