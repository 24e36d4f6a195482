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
from django.utils.translation import ngettext

from helpdesk.platform.errors import DomainError
from tickets import selectors, services
from tickets.forms import EntryForm, ReplyForm, TicketBulkForm, TicketFilterForm, TicketUpdateForm
from tickets.models import Ticket


def _agent(request):
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise PermissionDenied(_("Your account has no agent profile."))
    return agent


def _bulk_update(request, agent) -> TicketBulkForm | None:
    """The list's bulk form: Close, Reopen or Assign to… the ticked tickets through one service
    call; None when it succeeded (a message says how many changed), else the form with its errors."""
    form = TicketBulkForm(request.POST)
    if not form.is_valid():
        return form
    data = form.cleaned_data
    action, assignee = data["bulk_action"], data["assignee"]
    change = {
        "close": {"status": Ticket.Status.CLOSED},
        "reopen": {"status": Ticket.Status.OPEN},
        "assign": {"assignee": assignee, "assign": True},
    }[action]
    try:
        count = services.tickets_bulk_update(actor=agent, ticket_ids=data["ids"], **change)
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.detail)
        return form
    if action == "close":
        text = ngettext("%(count)s ticket closed.", "%(count)s tickets closed.", count)
    elif action == "reopen":
        text = ngettext("%(count)s ticket reopened.", "%(count)s tickets reopened.", count)
    else:
        text = ngettext("%(count)s ticket assigned to %(name)s.", "%(count)s tickets assigned to %(name)s.", count)
    flash.success(request, text % {"count": count, "name": assignee.display_name if assignee else ""})
    return None


@login_required
def ticket_list(request):
    agent = _agent(request)
    view = request.GET.get("view") or "all"
    if view not in selectors.VIEWS:
        raise Http404(_("No such view."))
    bulk = TicketBulkForm()
    if request.method == "POST":
        bulk = _bulk_update(request, agent)
        if bulk is None:  # back to the same view, search and page
            return redirect(request.get_full_path())
    filters = TicketFilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    tickets = selectors.tickets_listed(
        agent=agent, view=view, query=values.get("q") or "", sort=values.get("sort") or "newest"
    )
    counts = selectors.view_counts(agent=agent)
    views = [(slug, label, counts[slug]) for slug, label in selectors.VIEW_LABELS.items()]
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    selected = set(bulk.data.getlist("ids")) if bulk.is_bound else set()
    context = {
        "agent": agent,
        "active": "tickets",
        "views": views,
        "view": view,
        "filters": filters,
        "page": page,
        "bulk": bulk,
        "selected": selected,
    }
    return render(request, "tickets/list.html", context, status=400 if bulk.errors else 200)


@login_required
def ticket_detail(request, ticket_id: int):
    agent = _agent(request)
    try:
        ticket = selectors.access_ticket(agent=agent, ticket_id=ticket_id)
    except DomainError as error:
        raise Http404(error.detail) from error
    update = TicketUpdateForm(initial={"status": ticket.status, "assignee": ticket.assignee})
    comment, reply = EntryForm(prefix="comment"), ReplyForm(prefix="reply")
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
                form = (EntryForm if action == "comment" else ReplyForm)(request.POST, prefix=action)
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
                        status = form.cleaned_data["status"] or None
                        services.ticket_reply_by_email(actor=agent, ticket_id=ticket.pk, body=body, status=status)
                        sent = _("Reply sent to %(email)s.") % {"email": ticket.requester_email}
                        if status is not None:
                            sent = _("Reply sent to %(email)s; the ticket is now %(status)s.") % {
                                "email": ticket.requester_email,
                                "status": Ticket.Status(status).label,
                            }
                        flash.success(request, sent)
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
