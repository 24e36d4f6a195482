"""Server-rendered pages: the agents' Chat Dashboard, the visitor chat page and the widget demo.
Live traffic and actions go through the websocket protocol and the REST API from the page's
JavaScript; these views only render."""

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt

from chat import selectors
from helpdesk.models import Department


@login_required
def agent_dashboard(request):
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise PermissionDenied(_("Your account has no agent profile."))
    config = {
        "agent": {
            "id": agent.pk,
            "name": agent.display_name,
            "chatEnabled": agent.chat_enabled,
            "chatStatus": agent.chat_status,
            "ringer": agent.ringer,
        },
        "openChatIds": selectors.open_chat_ids_for(agent),
        "maxMessageChars": settings.CHAT_MAX_MESSAGE_CHARS,
        "maxEndDelay": settings.CHAT_MAX_END_DELAY_SECONDS,
        "ringUrl": settings.STATIC_URL + "chat/ring.wav",
    }
    return render(request, "agent/dashboard.html", {"agent": agent, "config": config})


@login_required
def monitor_page(request):
    """The live monitor (managers: chat.monitor_chats): the page's JavaScript gets what it shows
    over the agent socket (`monitor.subscribe`) and acts through /api/v1/monitor/."""
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise PermissionDenied(_("Your account has no agent profile."))
    if not request.user.has_perm(selectors.MONITOR_PERMISSION):
        raise PermissionDenied(_("You may not use the live monitor."))
    config = {
        "agent": {"id": agent.pk, "name": agent.display_name},
        "maxMessageChars": settings.CHAT_MAX_MESSAGE_CHARS,  # the internal note's limit
    }
    return render(request, "agent/monitor.html", {"agent": agent, "config": config})


@xframe_options_exempt  # framing is governed by the CSP frame-ancestors directive below instead
def visitor_chat(request):
    departments = Department.objects.all()
    config = {
        "startUrl": reverse("visitor-chat-start"),
        "maxMessageChars": settings.CHAT_MAX_MESSAGE_CHARS,
    }
    # The widget frames this page on the customer sites; the rest of the site's policy stands.
    # Built per request: WIDGET_ALLOWED_ORIGINS is a setting, not fixed at import.
    framed_by_widget_sites = csp_replace({"frame-ancestors": [SELF, *settings.WIDGET_ALLOWED_ORIGINS]})
    return framed_by_widget_sites(render)(
        request,
        "chat/visitor.html",
        {
            "departments": departments,
            "selected_department": request.GET.get("department", ""),
            "embedded": request.GET.get("embed") == "1",
            "config": config,
        },
    )


def widget_demo(request):
    return render(request, "chat/demo.html")
