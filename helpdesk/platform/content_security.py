"""The Content-Security-Policy header (settings.CONTENT_SECURITY_POLICY), set by django-csp."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from rest_framework.renderers import BrowsableAPIRenderer


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with one widening: DRF's browsable API (the API drawn as HTML for
    a signed-in browser) comes with an inline <style> and style attributes of its own, so its
    pages may apply inline styles. Scripts stay 'self' only there too."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer):
            parts.update = {**(parts.update or {}), "style-src": [SELF, UNSAFE_INLINE]}
        return parts
