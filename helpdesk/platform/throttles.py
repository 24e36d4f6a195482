"""API rate limits, counted in the shared cache (Redis) so every web process sees the same
counts; the client address follows the same TRUSTED_PROXY_COUNT rule as visitor facts."""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache(maxsize=32)
def parse_rate(rate: str) -> tuple[int, int]:
    """Read a rate such as "120/min" as (120, 60): DRF's format, the period by its first letter."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError) as error:
        raise ImproperlyConfigured(f"A rate looks like '120/min', got {rate!r}") from error


class TokenRateThrottle(UserRateThrottle):
    """Per signed-in user (API token or session)."""

    def get_rate(self):
        return settings.API_RATE_USER or None


class VisitorRateThrottle(AnonRateThrottle):
    """Per client address, for the endpoints anyone may call (starting a chat)."""

    scope = "visitor"

    def get_rate(self):
        return settings.API_RATE_VISITOR or None

    def allow_request(self, request, view):
        # Unlike AnonRateThrottle this also counts signed-in callers: the endpoint ignores them.
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()
