"""One error shape for the whole API: {"code", "detail"} (plus field errors on 400)."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.platform.errors import SERVICE_UNAVAILABLE, DomainError, ErrorCode, unavailable_body

logger = logging.getLogger(__name__)

_CODES = {
    exceptions.NotAuthenticated: ErrorCode.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: ErrorCode.AUTHENTICATION_FAILED,
    exceptions.PermissionDenied: ErrorCode.NOT_ALLOWED,
    exceptions.NotFound: ErrorCode.NOT_FOUND,
    exceptions.MethodNotAllowed: ErrorCode.METHOD_NOT_ALLOWED,
    exceptions.ParseError: ErrorCode.INVALID_JSON,
    exceptions.UnsupportedMediaType: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: ErrorCode.THROTTLED,
    # Django's own, raised by get_object_or_404 and the like; DRF answers them as 404 / 403.
    Http404: ErrorCode.NOT_FOUND,
    DjangoPermissionDenied: ErrorCode.NOT_ALLOWED,
}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": exc.detail}
        if exc.field:
            body[exc.field] = [exc.detail]
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response(body, status=exc.http_status, headers=headers)
    if isinstance(exc, RequestDataTooBig):  # Django would answer with its HTML 400 page
        detail = _("The request body is larger than %(size)s bytes.") % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        return Response(
            {"code": ErrorCode.TOO_LARGE, "detail": detail}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        if isinstance(exc, SERVICE_UNAVAILABLE):
            logger.warning("API request failed, a backing service is unavailable: %r", exc)
            return Response(unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return None
    if isinstance(exc, exceptions.ValidationError):
        # Field errors stay where DRF clients expect them (top level, per field); `code` and
        # `detail` make the shape the same as every other error.
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"code": ErrorCode.INVALID, "detail": _first_message(fields), **fields}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), ErrorCode.ERROR)
    detail = response.data.get("detail", str(exc)) if isinstance(response.data, dict) else str(exc)
    response.data = {"code": code, "detail": str(detail)}
    return response


def _first_message(fields: dict) -> str:
    for name, messages in fields.items():
        message = messages[0] if isinstance(messages, list) and messages else messages
        if isinstance(message, dict):
            return _("%(name)s: invalid.") % {"name": name}
        return f"{name}: {message}" if name != "non_field_errors" else str(message)
    return _("Invalid input.")


class JSONParser(parsers.JSONParser):
    """DRF's parser, but a pathologically nested body is a parse error, not a crash. Text the
    database cannot store (NUL, lone surrogates) is refused by the fields that read it
    (helpdesk.platform.fields); properties the API ignores are ignored whatever they hold."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError(_("JSON nested too deeply.")) from error


@csrf_exempt  # token clients have no CSRF token; a wrong path must still answer in JSON
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in the API's error shape, not Django's HTML page."""
    return JsonResponse({"code": ErrorCode.NOT_FOUND, "detail": _("No such API endpoint.")}, status=404)
