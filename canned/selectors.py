"""Reads of canned messages: the Messages page, the API and the '#' suggestions."""

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from canned.models import CannedCategory, CannedMessage
from helpdesk.models import Agent, Department


def canned_messages_for(agent: Agent) -> QuerySet[CannedMessage]:
    """Messages of the agent's departments plus those for all departments (all for superusers)."""
    messages = CannedMessage.objects.select_related("department", "category")
    if agent.user.is_superuser:
        return messages
    return messages.filter(Q(department__isnull=True) | Q(department__in=agent.departments.all()))


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
