"""Tickets pages: predefined views with counts, search, sort and pages; a ticket with its
transcript, status and assignee, internal comments, history and, for missed chats, Reply by
e-mail. Each form calls one service."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from helpdesk.platform.errors import DomainError
from tickets import selectors, services
from tickets.forms import EntryForm, TicketFilterForm, TicketUpdateForm
from tickets.models import Ticket


def _agent(request):
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise PermissionDenied(_("Your account has no agent profile."))
    return agent


@login_required
def ticket_list(request):
    agent = _agent(request)
    view = request.GET.get("view") or "all"
    if view not in selectors.VIEWS:
        raise Http404(_("No such view."))
    filters = TicketFilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    tickets = selectors.tickets_listed(
        agent=agent, view=view, query=values.get("q") or "", sort=values.get("sort") or "newest"
    )
    counts = selectors.view_counts(agent=agent)
    views = [(slug, label, counts[slug]) for slug, label in selectors.VIEW_LABELS.items()]
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    context = {"agent": agent, "active": "tickets", "views": views, "view": view, "filters": filters, "page": page}
    return render(request, "tickets/list.html", context)


@login_required
def ticket_detail(request, ticket_id: int):
    agent = _agent(request)
    try:
        ticket = selectors.access_ticket(agent=agent, ticket_id=ticket_id)
    except DomainError as error:
        raise Http404(error.detail) from error
    update = TicketUpdateForm(initial={"status": ticket.status, "assignee": ticket.assignee})
    comment, reply = EntryForm(prefix="comment"), EntryForm(prefix="reply")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "update":
                update = TicketUpdateForm(request.POST)
                if update.is_valid():
                    services.ticket_update(
                        actor=agent,
                        ticket_id=ticket.pk,
                        status=update.cleaned_data["status"],
                        assignee=update.cleaned_data["assignee"],
                        assign=True,
                    )
                    flash.success(request, _("Ticket updated."))
                    return redirect("ticket-detail-page", ticket_id=ticket.pk)
            elif action in ("comment", "reply"):
                form = EntryForm(request.POST, prefix=action)
                if action == "comment":
                    comment = form
                else:
                    reply = form
                if form.is_valid():
                    body = form.cleaned_data["body"]
                    if action == "comment":
                        services.ticket_comment_add(actor=agent, ticket_id=ticket.pk, body=body)
                        flash.success(request, _("Comment added."))
                    else:
                        services.ticket_reply_by_email(actor=agent, ticket_id=ticket.pk, body=body)
                        flash.success(request, _("Reply sent to %(email)s.") % {"email": ticket.requester_email})
                    return redirect("ticket-detail-page", ticket_id=ticket.pk)
        except DomainError as error:
            flash.error(request, error.detail)
            return redirect("ticket-detail-page", ticket_id=ticket.pk)
    context = {
        "agent": agent,
        "active": "tickets",
        "ticket": ticket,
        "update": update,
        "comment": comment,
        "reply": reply if ticket.kind == Ticket.Kind.MISSED_CHAT else None,
    }
    return render(request, "tickets/detail.html", context)
