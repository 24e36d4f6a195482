"""The chat widget's own texts (its bubble and title, on the customer's page) in the visitor's
language: `?lang=` (the widget's data-lang) or else Accept-Language. The widget asks for them
from another origin, so the answer allows any origin; it is the same for everyone."""

from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET


@require_GET
def widget_strings(request):
    # The widget picks the form with Intl.PluralRules; these are the gettext forms for 1 and 2.
    unread = {
        count_name: ngettext("Chat with us (%(count)s new message)", "Chat with us (%(count)s new messages)", n)
        for count_name, n in (("one", 1), ("other", 2))
    }
    response = JsonResponse(
        {
            "lang": translation.get_language(),
            "open": gettext("Chat with us"),
            "close": gettext("Close chat"),
            "frame_title": gettext("Live chat"),
            "unread": unread,
            # Shown as the page's title while it is hidden: "(1) New message – Example shop".
            "page_title": gettext("(%(count)s) New message – %(title)s"),
        }
    )
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=3600)
    patch_vary_headers(response, ["Accept-Language"])
    return response
