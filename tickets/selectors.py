from django.db.models import Q, QuerySet

from helpdesk.errors import DomainError
from helpdesk.models import Agent
from tickets.models import Ticket

# The predefined views, by the slug the API uses.
VIEWS = {
    "all": Q(),
    "open": Q(status=Ticket.Status.OPEN),
    "chat-transcripts": Q(kind=Ticket.Kind.CHAT_TRANSCRIPT),
    "missed-chats": Q(kind=Ticket.Kind.MISSED_CHAT),
}


def tickets_visible_to(agent: Agent) -> QuerySet[Ticket]:
    """Tickets of the agent's departments (and those without one) plus chats they took part in."""
    tickets = Ticket.objects.select_related("department", "assignee", "source_chat")
    if agent.user.is_superuser:
        return tickets
    return tickets.filter(
        Q(department__in=agent.departments.all()) | Q(department__isnull=True) | Q(agents=agent)
    ).distinct()


def tickets_in_view(*, agent: Agent, view: str = "all") -> QuerySet[Ticket]:
    if view not in VIEWS:
        raise DomainError("invalid", f"Unknown view {view!r}; use one of {', '.join(VIEWS)}.")
    return tickets_visible_to(agent).filter(VIEWS[view])


def access_ticket(*, agent: Agent, ticket_id: int) -> Ticket:
    ticket = tickets_visible_to(agent).prefetch_related("thread", "agents").filter(pk=ticket_id).first()
    if ticket is None:
        raise DomainError("not_found", "No such ticket.")
    return ticket


def recent_tickets_of_requester(*, agent: Agent, email: str, limit: int = 10) -> QuerySet[Ticket]:
    return tickets_visible_to(agent).filter(requester_email__iexact=email).order_by("-created_at")[:limit]
