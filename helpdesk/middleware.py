"""Requests that fail outside DRF's exception handling."""

import logging

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin

from helpdesk.errors import SERVICE_UNAVAILABLE, unavailable_body

logger = logging.getLogger(__name__)


class ServiceUnavailableMiddleware(MiddlewareMixin):
    """A page or API path whose view fails because the database or Redis cannot be reached
    answers 503 (the API's JSON error under /api/, a short page elsewhere) instead of a 500."""

    def process_exception(self, request, exception):
        if not isinstance(exception, SERVICE_UNAVAILABLE):
            return None
        logger.warning("%s %s failed, a backing service is unavailable: %r", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            return JsonResponse(unavailable_body(), status=503)
        return HttpResponse(render_to_string("503.html"), status=503)
