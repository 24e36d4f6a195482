from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from helpdesk.errors import DomainError
from tickets import selectors


@login_required
def ticket_detail(request, ticket_id: int):
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise PermissionDenied("Your account has no agent profile.")
    try:
        ticket = selectors.access_ticket(agent=agent, ticket_id=ticket_id)
    except DomainError as error:
        raise Http404(error.detail) from error
    return render(request, "tickets/detail.html", {"ticket": ticket, "agent": agent})
