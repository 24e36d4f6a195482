"""Facts about a visitor from their request: client IP, browser, operating system, location."""

import ipaddress
import logging
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from ua_parser import parse as parse_user_agent

from helpdesk.platform.http import client_ip

logger = logging.getLogger(__name__)

LOCAL_NETWORK = "Local network"


@dataclass(frozen=True)
class VisitorFacts:
    ip_address: str | None
    user_agent: str
    browser: str
    operating_system: str
    location: str


def _version(part, depth: int) -> str:
    numbers = [part.major, part.minor][:depth]
    return ".".join(str(v) for v in numbers if v)


def describe_user_agent(user_agent: str) -> tuple[str, str]:
    """(browser, operating system) as people read them, e.g. ("Chrome 120", "Windows 10")."""
    if not user_agent:
        return "", ""
    result = parse_user_agent(user_agent)
    # Browsers by major version ("Firefox 120"); systems to the minor one ("Mac OS X 10.15").
    browser = f"{result.user_agent.family} {_version(result.user_agent, 1)}".strip() if result.user_agent else ""
    system = f"{result.os.family} {_version(result.os, 2)}".strip() if result.os else ""
    return browser, system


@cache
def _maxmind_reader():
    import geoip2.database

    return geoip2.database.Reader(settings.GEOIP_PATH)


@cache
def _bundled_reader():
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(verbose=False)


def locate(ip: str | None) -> str:
    """A readable location: "Local network" for private addresses, else city/country."""
    if not ip:
        return ""
    address = ipaddress.ip_address(ip)
    if not address.is_global:
        return LOCAL_NETWORK
    try:
        if settings.GEOIP_PATH:
            city = _maxmind_reader().city(ip)
            return ", ".join(filter(None, [city.city.name, city.country.name]))
        found = _bundled_reader().lookup(ip)  # the bundled data is country-level
        return found.country_name or ""
    except Exception:  # an address missing from the database is not an error for the visitor
        logger.debug("no location for %s", ip, exc_info=True)  # the address is personal data: not at INFO
        return ""


def visitor_facts(meta: dict) -> VisitorFacts:
    ip = client_ip(meta)
    user_agent = meta.get("HTTP_USER_AGENT", "")[:1000]
    browser, system = describe_user_agent(user_agent)
    return VisitorFacts(ip, user_agent, browser, system, locate(ip))
