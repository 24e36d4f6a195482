"""Reads of canned messages: the Messages page, the API and the '#' suggestions."""

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from canned.models import CannedCategory, CannedMessage
from helpdesk.agents.selectors import in_departments_of
from helpdesk.models import Agent, Department
from helpdesk.platform.errors import DomainError, ErrorCode


def canned_messages_for(agent: Agent) -> QuerySet[CannedMessage]:
    """Messages of the agent's departments plus those for all departments (all for superusers)."""
    messages = CannedMessage.objects.select_related("department", "category")
    if agent.user.is_superuser:
        return messages
    return messages.filter(in_departments_of(agent))


def access_canned_message(*, agent: Agent, message_id: int) -> CannedMessage:
    """The message, or not_found where the agent may not see it (as where it does not exist)."""
    message = canned_messages_for(agent).filter(pk=message_id).first()
    if message is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such canned message.")
    return message


def access_canned_category(*, category_id: int) -> CannedCategory:
    """The category, or not_found. Categories are shared by every department."""
    category = CannedCategory.objects.filter(pk=category_id).first()
    if category is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such canned category.")
    return category


def canned_messages_filtered(
    *,
    agent: Agent,
    department: Department | None = None,
    category: CannedCategory | None = None,
    query: str = "",
) -> QuerySet[CannedMessage]:
    """Filtered and, with a query, ranked best match first: shortcut, then category, then text;
    exact before prefix before anywhere."""
    messages = canned_messages_for(agent)
    if department is not None:
        messages = messages.filter(Q(department=department) | Q(department__isnull=True))
    if category is not None:
        messages = messages.filter(category=category)
    query = " ".join(query.split())
    if not query:
        return messages
    matches = Q(shortcut__icontains=query) | Q(category__name__icontains=query) | Q(text__icontains=query)
    rank = Case(
        When(shortcut__iexact=query, then=Value(0)),
        When(shortcut__istartswith=query, then=Value(1)),
        When(category__name__iexact=query, then=Value(2)),
        When(category__name__istartswith=query, then=Value(3)),
        When(text__istartswith=query, then=Value(4)),
        When(shortcut__icontains=query, then=Value(5)),
        When(category__name__icontains=query, then=Value(6)),
        default=Value(7),
        output_field=IntegerField(),
    )
    return messages.filter(matches).annotate(rank=rank).order_by("rank", "shortcut", "id")


def categories_with_counts() -> QuerySet[CannedCategory]:
    return CannedCategory.objects.annotate(message_count=Count("messages")).order_by("name")
