from django.db import connection
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from chat.models import ChatParticipant
from helpdesk.errors import DomainError
from helpdesk.models import Agent
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
    until_the_end = ChatParticipant.objects.filter(
        chat=OuterRef("source_chat"), agent=agent, left_seq__gte=OuterRef("source_chat__last_seq")
    )
    return tickets.filter(
        Q(department__in=agent.departments.all()) | Q(department__isnull=True) | Exists(until_the_end)
    )


def _view_filter(view: str, agent: Agent) -> Q:
    if view not in VIEWS:
        raise DomainError("invalid", f"Unknown view {view!r}; use one of {', '.join(VIEWS)}.")
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
        raise DomainError("invalid", f"Unknown sort {sort!r}; use one of {', '.join(SORTS)}.")
    return tickets_matching(tickets_in_view(agent=agent, view=view), query).order_by(SORTS[sort], "-pk")


def access_ticket(*, agent: Agent, ticket_id: int) -> Ticket:
    ticket = (
        tickets_visible_to(agent)
        .prefetch_related("thread", "agents", "changes__changed_by")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise DomainError("not_found", "No such ticket.")
    return ticket


def recent_tickets_of_requester(*, agent: Agent, email: str, limit: int = 10) -> QuerySet[Ticket]:
    return tickets_visible_to(agent).filter(requester_email__iexact=email).order_by("-created_at")[:limit]
