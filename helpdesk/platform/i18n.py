"""Which language a request is answered in.

Visitors get the chat in their language: the widget's `data-lang` reaches the chat page, its
JavaScript catalog and the widget's strings as `?lang=`, which wins over the browser's
Accept-Language (LocaleMiddleware's choice). Agent and manager pages speak only the languages in
AGENT_LANGUAGES (English shipped): a German browser would otherwise get Django's own German
(form errors, dates, the admin) among our English texts."""

from django.conf import settings
from django.utils import translation

# Everything a visitor's browser asks for; the rest is the agents' and managers'.
VISITOR_PATHS = ("/chat/", "/demo/", "/jsi18n/", "/api/v1/visitor/", "/api/v1/departments/")


def supported_language(code: str | None) -> str | None:
    """`code` as one of settings.LANGUAGES ("de-AT" → "de"), or None."""
    if not code or len(code) > 16:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def agent_language(preferred: str) -> str:
    if preferred in settings.AGENT_LANGUAGES:
        return preferred
    return settings.AGENT_LANGUAGES[0]


class LanguageMiddleware:
    """After LocaleMiddleware, which has activated the Accept-Language choice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        preferred = translation.get_language()
        if request.path.startswith(VISITOR_PATHS):
            language = supported_language(request.GET.get("lang")) or preferred
        else:
            language = agent_language(preferred)
        if language != preferred:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
