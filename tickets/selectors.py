from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from helpdesk.agents.selectors import in_departments_of
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError, ErrorCode
from tickets.models import Ticket

# The predefined views, by the slug the API uses.
VIEWS = {
    "all": Q(),
    "open": Q(status=Ticket.Status.OPEN),
    "mine": Q(),  # the agent's own: see tickets_in_view
    "chat-transcripts": Q(kind=Ticket.Kind.CHAT_TRANSCRIPT),
    "missed-chats": Q(kind=Ticket.Kind.MISSED_CHAT),
}
VIEW_LABELS = {
    "all": "All Tickets",
    "open": "Open",
    "mine": "My Tickets",
    "chat-transcripts": "Chat Transcripts",
    "missed-chats": "Missed Chats",
}
SORTS = {
    "newest": "-created_at",
    "oldest": "created_at",
    "updated": "-updated_at",
    "subject": "subject",
    "status": "status",
}


def tickets_visible_to(agent: Agent) -> QuerySet[Ticket]:
    """Tickets of the agent's departments (and those without one) plus those of chats they took
    part in until the end. The transcript is the whole thread, so an agent who left the chat
    earlier (a transfer, leaving after an invitation) does not see it this way: they read the
    chat up to where they left (chat.selectors.chats_visible_to)."""
    tickets = Ticket.objects.select_related("department", "assignee", "source_chat")
    if agent.user.is_superuser:
        return tickets
    # Through the ticket's own relations, so that tickets need not import chat: both conditions
    # in one filter() are about the same participant row.
    until_the_end = Ticket.objects.filter(
        pk=OuterRef("pk"),
        source_chat__chatparticipant__agent=agent,
        source_chat__chatparticipant__left_seq__gte=F("source_chat__last_seq"),
    )
    return tickets.filter(in_departments_of(agent) | Exists(until_the_end))


def _view_filter(view: str, agent: Agent) -> Q:
    if view not in VIEWS:
        raise DomainError(ErrorCode.INVALID, f"Unknown view {view!r}; use one of {', '.join(VIEWS)}.")
    return Q(assignee=agent) if view == "mine" else VIEWS[view]


def tickets_in_view(*, agent: Agent, view: str = "all") -> QuerySet[Ticket]:
    return tickets_visible_to(agent).filter(_view_filter(view, agent))


def view_counts(*, agent: Agent) -> dict[str, int]:
    """How many tickets each predefined view holds for this agent, in one query."""
    visible = Ticket.objects.filter(pk__in=tickets_visible_to(agent).values("pk"))
    return visible.aggregate(**{view: Count("pk", filter=_view_filter(view, agent)) for view in VIEWS})


def tickets_matching(tickets: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """Search subject, requester e-mail and transcript text. The transcript uses PostgreSQL
    full-text search (the GIN index of migration 0002) where available, a substring match on
    SQLite."""
    query = " ".join(query.split())
    if not query:
        return tickets
    matches = Q(subject__icontains=query) | Q(requester_email__icontains=query)
    if connection.vendor == "postgresql":
        fts = RawSQL(
            "to_tsvector('english', tickets_ticket.search_text) @@ plainto_tsquery('english', %s)",
            [query],
            output_field=BooleanField(),
        )
        return tickets.filter(matches | Q(fts))
    return tickets.filter(matches | Q(search_text__icontains=query))


def tickets_listed(*, agent: Agent, view: str = "all", query: str = "", sort: str = "newest") -> QuerySet[Ticket]:
    if sort not in SORTS:
        raise DomainError(ErrorCode.INVALID, f"Unknown sort {sort!r}; use one of {', '.join(SORTS)}.")
    return tickets_matching(tickets_in_view(agent=agent, view=view), query).order_by(SORTS[sort], "-pk")


def access_ticket(*, agent: Agent, ticket_id: int) -> Ticket:
    """The ticket to read, with its thread, agents and history; not_found where the agent may not
    see it."""
    return ticket_or_not_found(
        tickets_visible_to(agent).prefetch_related("thread", "agents", "changes__changed_by"), ticket_id
    )


def ticket_or_not_found(tickets: QuerySet[Ticket], ticket_id: int) -> Ticket:
    """The one refusal for a ticket that does not exist and one that may not be seen alike."""
    ticket = tickets.filter(pk=ticket_id).first()
    if ticket is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such ticket.")
    return ticket


def recent_tickets_of_requester(*, agent: Agent, email: str, limit: int = 10) -> QuerySet[Ticket]:
    return tickets_visible_to(agent).filter(requester_email__iexact=email).order_by("-created_at")[:limit]
