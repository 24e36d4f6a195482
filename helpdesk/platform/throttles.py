"""API rate limits, counted in the shared cache (Redis) so every web process sees the same
counts; the client address follows the same TRUSTED_PROXY_COUNT rule as visitor facts."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


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
