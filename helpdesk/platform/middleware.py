"""Requests that fail outside DRF's exception handling."""

import logging

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin

from helpdesk.platform.errors import SERVICE_UNAVAILABLE, unavailable_body
from helpdesk.platform.text import text_problem

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


class RejectUnstorableTextMiddleware:
    """On the pages and the admin, a query parameter or form field (name or value) holding text
    the database cannot store (a NUL character) is refused with 400 before any view runs: every
    filter, search box and form at once. The API's fields check what they read themselves
    (helpdesk.platform.fields), since the API ignores parameters it does not document."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)
        problem = self._problem(request.GET) or (self._problem(request.POST) if request.method == "POST" else None)
        if problem is None:
            return self.get_response(request)
        return HttpResponseBadRequest(render_to_string("400.html", {"detail": problem}))

    @staticmethod
    def _problem(params) -> str | None:
        for name, values in params.lists():
            for text in (name, *values):
                if problem := text_problem(text):
                    return problem
        return None
