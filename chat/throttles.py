"""Limits on starting chats (POST /api/v1/visitor/chats/), per client address and per visitor
e-mail, counted in the shared cache (Redis) like the other API limits. Each start rings every
online agent of its department and may become a ticket, so these are far below the per-address
request limit (API_RATE_VISITOR); how many chats may wait at once is a domain rule
(chat.services.starting.chat_start)."""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from helpdesk.platform.http import client_ip


class ChatStartThrottle(SimpleRateThrottle):
    setting = ""

    def get_rate(self):
        return getattr(settings, self.setting) or None

    def allow_request(self, request, view):
        # Read the setting per request (not once per class) so that it can change at run time.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class ChatStartAddressThrottle(ChatStartThrottle):
    """CHAT_START_RATE_IP per client address (the TRUSTED_PROXY_COUNT rule of visitor facts)."""

    scope = "chat_start_ip"
    setting = "CHAT_START_RATE_IP"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request.META) or "unknown"}


class ChatStartEmailThrottle(ChatStartThrottle):
    """CHAT_START_RATE_EMAIL per visitor e-mail (ignoring case), so spreading starts over many
    addresses does not flood one person's inbox of tickets either."""

    scope = "chat_start_email"
    setting = "CHAT_START_RATE_EMAIL"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None  # not counted; the start is refused as invalid anyway
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()  # no address in Redis keys
        return self.cache_format % {"scope": self.scope, "ident": digest}


class TranscriptEmailAddressThrottle(ChatStartAddressThrottle):
    """TRANSCRIPT_EMAIL_RATE_IP per client address on
    POST /api/v1/visitor/chats/{id}/transcript-email/. A chat's transcript goes out at most once;
    this bounds how much mail one address can have sent, to addresses visitors type in."""

    scope = "transcript_email_ip"
    setting = "TRANSCRIPT_EMAIL_RATE_IP"

    def get_cache_key(self, request, view):
        if not request.headers.get("X-Visitor-Token"):
            return None  # not counted; refused as invalid_token anyway
        return super().get_cache_key(request, view)
