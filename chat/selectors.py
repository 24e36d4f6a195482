"""Reads shared by the API, the consumers and the services."""

from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from chat.models import (
    AgentConnection,
    Chat,
    ChatOffer,
    ChatParticipant,
    Invitation,
    Message,
    Presence,
    Transfer,
)
from helpdesk.agents.hours import department_hours
from helpdesk.agents.selectors import in_departments_of
from helpdesk.models import Agent, ClosedDate, Department
from helpdesk.platform.errors import DomainError, ErrorCode
from tickets.models import Ticket


def chats_visible_to(agent: Agent) -> QuerySet[Chat]:
    """Chats the agent may read, each annotated with `read_up_to`.

    In full (`read_up_to` None): chats of the agent's departments, chats without one, chats
    they take part in now, and every chat for a superuser. A former participant of any other
    chat (they handed it over, left it, or it ended while they were in it) reads it as it was
    when they left: messages up to `read_up_to` (their `left_seq`), not the visitor's details.
    """
    chats = Chat.objects.select_related("visitor", "department", "owner")
    if agent.user.is_superuser:
        return chats.annotate(read_up_to=Value(None, output_field=IntegerField()))
    taking_part = ChatParticipant.objects.filter(chat=OuterRef("pk"), agent=agent, left_at__isnull=True)
    took_part = ChatParticipant.objects.filter(chat=OuterRef("pk"), agent=agent, left_at__isnull=False)
    in_full = in_departments_of(agent) | Exists(taking_part)
    return chats.filter(in_full | Exists(took_part)).annotate(
        read_up_to=Case(
            When(in_full, then=Value(None)),
            default=Coalesce(Subquery(took_part.values("left_seq")[:1]), 0),
            output_field=IntegerField(),
        )
    )


def access_active_agent(agent: Agent) -> None:
    """Refuse an agent who was deactivated or removed after the caller loaded them: a socket
    authenticates once, at connect, and its frames come later."""
    if not Agent.objects.filter(pk=agent.pk, user__is_active=True).exists():
        raise DomainError(ErrorCode.NOT_ALLOWED, "Your account is not active.")


def access_chat(*, agent: Agent, chat_id: int) -> Chat:
    """The chat if the agent may see it (with `read_up_to`, see chats_visible_to); a chat they
    may not see is reported as not found."""
    chat = chats_visible_to(agent).filter(pk=chat_id).first()
    if chat is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such chat.")
    return chat


def access_visitor_of(*, agent: Agent, chat_id: int) -> Chat:
    """The chat, for its visitor's details: only for agents who read it in full."""
    chat = access_chat(agent=agent, chat_id=chat_id)
    if chat.read_up_to is not None:
        raise DomainError(
            ErrorCode.NOT_ALLOWED, "You no longer take part in this chat; its visitor's details are not shown."
        )
    return chat


def messages_readable(*, chat: Chat, after_seq: int = 0) -> QuerySet[Message]:
    """The messages of a chat from access_chat / chats_visible_to that its reader may see."""
    messages = messages_after(chat_id=chat.pk, after_seq=after_seq)
    return messages if chat.read_up_to is None else messages.filter(seq__lte=chat.read_up_to)


def chat_last_seq(chat_id: int) -> int:
    return Chat.objects.filter(pk=chat_id).values_list("last_seq", flat=True).get()


def is_participant(*, chat_id: int, agent_id: int) -> bool:
    return ChatParticipant.objects.filter(chat_id=chat_id, agent_id=agent_id, left_at__isnull=True).exists()


def open_chat_ids_for(agent: Agent) -> list[int]:
    """Chats the agent is currently talking in (their socket joins these groups)."""
    return list(
        ChatParticipant.objects.filter(
            agent=agent, left_at__isnull=True, chat__status__in=Chat.OPEN_STATUSES
        ).values_list("chat_id", flat=True)
    )


# An open connection whose process has not vouched for it in this many heartbeats belongs to
# a process that died (chat/services/presence.py).
STALE_BEATS = 3


def signs_of_life(now: datetime | None = None) -> QuerySet[AgentConnection]:
    """Connections that keep their agent present: open ones refreshed within STALE_BEATS
    heartbeats, and any seen within AGENT_AWAY_AFTER_SECONDS (a socket that just closed, or
    whose process just died)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=STALE_BEATS * settings.AGENT_PRESENCE_HEARTBEAT_SECONDS)
    away_before = now - timedelta(seconds=settings.AGENT_AWAY_AFTER_SECONDS)
    return AgentConnection.objects.filter(
        Q(closed_at__isnull=True, seen_at__gt=stale_before) | Q(seen_at__gt=away_before)
    )


def chat_ready_q(now: datetime | None = None) -> Q:
    """The one rule for an agent chats may reach now: active, chat-enabled, Online, and
    connected or gone for less than AGENT_AWAY_AFTER_SECONDS (so not away)."""
    present = Exists(signs_of_life(now).filter(agent=OuterRef("pk")))
    return Q(chat_enabled=True, chat_status=Agent.ChatStatus.ONLINE, user__is_active=True) & present


def with_presence(agents: QuerySet[Agent]) -> QuerySet[Agent]:
    """The agents annotated with `presence` (Presence): offline by their own choice (or not
    chat-enabled); online when connected or gone for less than the grace (signs_of_life, as in
    chat_ready_q); away otherwise."""
    return agents.annotate(
        presence=Case(
            When(~Q(chat_enabled=True, chat_status=Agent.ChatStatus.ONLINE), then=Value(Presence.OFFLINE)),
            When(Exists(signs_of_life().filter(agent=OuterRef("pk"))), then=Value(Presence.ONLINE)),
            default=Value(Presence.AWAY),
            output_field=CharField(),
        )
    )


def agent_with_presence(agent: Agent) -> Agent:
    """The agent as stored now, with `presence` (for GET /api/v1/agents/me/)."""
    return with_presence(Agent.objects.filter(pk=agent.pk)).prefetch_related("departments").get()


def agents_to_offer(department: Department | None) -> QuerySet[Agent]:
    """Agents chats may reach now (chat_ready_q) of the department (any department when None),
    with room for another chat, each annotated with `open_chats`."""
    agents = Agent.objects.filter(chat_ready_q())
    if department is not None:
        agents = agents.filter(departments=department)
    return agents.annotate(
        open_chats=Count(
            "chatparticipant",
            filter=Q(chatparticipant__left_at__isnull=True, chatparticipant__chat__status__in=Chat.OPEN_STATUSES),
        )
    ).filter(open_chats__lt=F("max_concurrent_chats"))


def agents_offered_chat(chat: Chat) -> QuerySet[Agent]:
    """Everyone who may have an offer for this chat on screen (used to withdraw it)."""
    agents = Agent.objects.filter(chat_enabled=True)
    if chat.department_id is not None:
        agents = agents.filter(departments=chat.department_id)
    return agents


def waiting_chats_in_reach(agent: Agent) -> QuerySet[Chat]:
    """Waiting chats of the agent's departments (and those without one), oldest first."""
    return (
        Chat.objects.filter(status=Chat.Status.WAITING)
        .filter(in_departments_of(agent))
        .select_related("visitor", "department")
        .order_by("started_at")
    )


# Chats of departments that offer a chat to one agent at a time (chat/services/routing.py), and
# the rest: every available agent gets the popup (a chat without a department too).
ROUTED_ONE_AT_A_TIME = Q(department__routing__in=Department.ONE_AT_A_TIME)
BROADCAST = Q(department__isnull=True) | ~ROUTED_ONE_AT_A_TIME


def waiting_chats_for(agent: Agent) -> QuerySet[Chat]:
    """Waiting chats on this agent's screen now, each with `offer_expires_at`: in broadcast
    departments every chat in reach (none while Offline, away or at their limit); in departments
    routed one agent at a time, those offered to them (a ChatOffer pending)."""
    offer = ChatOffer.objects.filter(chat=OuterRef("pk"), agent=agent, status=ChatOffer.Status.PENDING)
    offered_to_them = Exists(offer)
    ready = agents_to_offer(None).filter(pk=agent.pk).exists()
    shown = offered_to_them | BROADCAST if ready else offered_to_them
    return (
        waiting_chats_in_reach(agent).filter(shown).annotate(offer_expires_at=Subquery(offer.values("expires_at")[:1]))
    )


def _count(rows: QuerySet, *, per: str) -> Coalesce:
    """A correlated COUNT of `rows` (filtered on an OuterRef through `per`), 0 when there are none."""
    return Coalesce(Subquery(rows.order_by().values(per).annotate(n=Count("pk")).values("n")[:1]), 0)


def agents_next_in_line(chat: Chat) -> QuerySet[Agent]:
    """Agents to offer `chat` to, best first, in its department's one-at-a-time routing.

    Agents chats may reach now (chat_ready_q) with room: their open chats and the offers on their
    screen (`load`) under their limit. Those this chat was offered to fewer times come first, so
    it goes round the department before it returns to anyone; then round robin takes the agent
    whose last offer in the department is oldest (never offered first), least busy the lowest
    load, then the oldest last offer. Ids break ties."""
    open_chats = ChatParticipant.objects.filter(
        agent=OuterRef("pk"), left_at__isnull=True, chat__status__in=Chat.OPEN_STATUSES
    )
    pending = ChatOffer.objects.filter(agent=OuterRef("pk"), status=ChatOffer.Status.PENDING)
    tries = ChatOffer.objects.filter(agent=OuterRef("pk"), chat=chat.pk)
    last_offer = ChatOffer.objects.filter(agent=OuterRef("pk"), chat__department=chat.department_id)
    agents = (
        Agent.objects.filter(chat_ready_q(), departments=chat.department_id)
        .annotate(
            load=_count(open_chats, per="agent") + _count(pending, per="agent"),
            tries=_count(tries, per="agent"),
            last_offered_at=Subquery(last_offer.order_by("-offered_at").values("offered_at")[:1]),
        )
        .filter(load__lt=F("max_concurrent_chats"))
    )
    by_turn = [F("last_offered_at").asc(nulls_first=True), "pk"]
    if chat.department.routing == Department.Routing.LEAST_BUSY:
        return agents.order_by("tries", "load", *by_turn)
    return agents.order_by("tries", *by_turn)


def waiting_chats_to_route(department_id: int) -> QuerySet[Chat]:
    """Waiting chats of a one-at-a-time department on nobody's screen, oldest first: the queue."""
    pending = ChatOffer.objects.filter(chat=OuterRef("pk"), status=ChatOffer.Status.PENDING)
    return (
        Chat.objects.filter(ROUTED_ONE_AT_A_TIME, status=Chat.Status.WAITING, department=department_id)
        .exclude(Exists(pending))
        .order_by("started_at", "pk")
    )


def departments_routed_one_at_a_time(agent: Agent | None = None) -> list[int]:
    """Ids of the departments (of `agent`, else all) that route one agent at a time."""
    departments = Department.objects.filter(routing__in=Department.ONE_AT_A_TIME)
    if agent is not None:
        departments = departments.filter(agents=agent)
    return list(departments.values_list("pk", flat=True))


def pending_offers_of(agent: Agent) -> list[int]:
    return list(ChatOffer.objects.filter(agent=agent, status=ChatOffer.Status.PENDING).values_list("pk", flat=True))


def open_chat_count(agent: Agent) -> int:
    return ChatParticipant.objects.filter(
        agent=agent, left_at__isnull=True, chat__status__in=Chat.OPEN_STATUSES
    ).count()


def messages_after(*, chat_id: int, after_seq: int = 0) -> QuerySet[Message]:
    return Message.objects.filter(chat_id=chat_id, seq__gt=after_seq).order_by("seq")


# The visitor's sequence: the messages a visitor sees (every one but internal notes), numbered 1,
# 2, 3 … in seq order. Without notes it is the chat's seq; with them the visitor's client finds
# no gap where a note was (static/common/sequence.js). docs/protocol.md, "Internal notes".


def visitor_messages_after(*, chat_id: int, after_visitor_seq: int = 0) -> list[tuple[int, Message]]:
    """(visitor_seq, message) of what the visitor sees past `after_visitor_seq`, in order."""
    after_visitor_seq = min(after_visitor_seq, 2**31 - 1)  # an OFFSET the database takes; none are past it
    visible = Message.objects.filter(chat_id=chat_id, internal=False).order_by("seq")[after_visitor_seq:]
    return list(enumerate(visible, start=after_visitor_seq + 1))


def visitor_seq_of(message: Message) -> int:
    """A visible message's number in the visitor's sequence."""
    notes_before = Message.objects.filter(chat_id=message.chat_id, internal=True, seq__lt=message.seq).count()
    return message.seq - notes_before


def visitor_last_seq(chat: Chat) -> int:
    """The visitor's last seq: how many messages of the chat they see."""
    return chat.last_seq - Message.objects.filter(chat_id=chat.pk, internal=True).count()


def overdue_chat_ids(*, limit: int = 500) -> tuple[list[int], list[int]]:
    """(chats whose scheduled end has passed, chats whose missed-chat deadline has passed)."""
    now = timezone.now()
    ending = Chat.objects.filter(status=Chat.Status.ENDING, ends_at__lte=now).order_by("ends_at")
    waiting = Chat.objects.filter(status=Chat.Status.WAITING, missed_deadline__lte=now).order_by("missed_deadline")
    return (
        list(ending.values_list("pk", flat=True)[:limit]),
        list(waiting.values_list("pk", flat=True)[:limit]),
    )


def recent_chats_of_visitor(*, agent: Agent, chat: Chat, limit: int = 10) -> QuerySet[Chat]:
    """The visitor's other chats (matched by e-mail) that this agent may see, newest first."""
    return (
        chats_visible_to(agent)
        .filter(visitor__email__iexact=chat.visitor.email)
        .exclude(pk=chat.pk)
        .order_by("-started_at")[:limit]
    )


def overdue_offer_ids(*, limit: int = 500) -> list[int]:
    """Offers still pending past their answer deadline."""
    overdue = ChatOffer.objects.filter(status=ChatOffer.Status.PENDING, expires_at__lte=timezone.now())
    return list(overdue.order_by("expires_at").values_list("pk", flat=True)[:limit])


def overdue_handover_ids(*, limit: int = 500) -> tuple[list[int], list[int]]:
    """(pending transfers past their answer deadline, pending invitations past theirs)."""

    now = timezone.now()
    transfers = Transfer.objects.filter(status=Transfer.Status.PENDING, expires_at__lte=now)
    invitations = Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=now)
    return (
        list(transfers.values_list("pk", flat=True)[:limit]),
        list(invitations.values_list("pk", flat=True)[:limit]),
    )


class PendingDeadlines(NamedTuple):
    """Every deadline still to be met, overdue ones included, as (id, moment) pairs."""

    ends: list[tuple[int, datetime]]  # chats ending: ends_at
    missed: list[tuple[int, datetime]]  # chats waiting: missed_deadline
    transfers: list[tuple[int, datetime]]  # pending transfers: expires_at
    invitations: list[tuple[int, datetime]]  # pending invitations: expires_at
    offers: list[tuple[int, datetime]]  # pending offers: expires_at


def pending_deadlines() -> PendingDeadlines:
    return PendingDeadlines(
        list(Chat.objects.filter(status=Chat.Status.ENDING).values_list("pk", "ends_at")),
        list(Chat.objects.filter(status=Chat.Status.WAITING).values_list("pk", "missed_deadline")),
        list(Transfer.objects.filter(status=Transfer.Status.PENDING).values_list("pk", "expires_at")),
        list(Invitation.objects.filter(status=Invitation.Status.PENDING).values_list("pk", "expires_at")),
        list(ChatOffer.objects.filter(status=ChatOffer.Status.PENDING).values_list("pk", "expires_at")),
    )


def agents_available_for_handover(*, agent: Agent, department: Department | None = None) -> QuerySet[Agent]:
    """Colleagues a chat can be transferred to or who can be invited: Online and not away,
    chat-enabled, under their limit, not `agent`; with their departments, open chat counts and
    `presence`."""
    agents = agents_to_offer(department).exclude(pk=agent.pk)
    return with_presence(agents).prefetch_related("departments").order_by("display_name")


def pending_transfers_to(agent: Agent):
    """Transfers waiting for this agent's answer (shown again when their socket reconnects)."""

    return Transfer.objects.filter(
        to_agent=agent, status=Transfer.Status.PENDING, expires_at__gt=timezone.now()
    ).select_related("chat__visitor", "from_agent", "to_agent", "to_department")


def pending_invitations_to(agent: Agent):

    return Invitation.objects.filter(
        invitee=agent, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    ).select_related("chat__visitor", "inviter", "invitee")


def chat_with_ticket_id(chat_id: int) -> tuple[Chat, int | None]:
    """The chat as it is now, and its ticket's id once it has one."""
    chat = Chat.objects.get(pk=chat_id)
    return chat, Ticket.objects.filter(source_chat=chat).values_list("pk", flat=True).first()


def agent_of_user(user) -> Agent | None:
    return Agent.objects.filter(user=user).select_related("user").first()


class OfflineReason:
    """Why a department cannot take a chat now (GET /api/v1/departments/ `offline_reason`)."""

    NO_AGENTS = "no_agents"
    OUTSIDE_HOURS = "outside_hours"
    CHOICES = [NO_AGENTS, OUTSIDE_HOURS]


def departments_with_availability(now: datetime | None = None) -> list[Department]:
    """Every department (by name) with what a visitor sees before asking, in three queries
    however many departments there are:

    - `opens_at`: while outside its business hours, its next opening (helpdesk.agents.hours);
    - `available`: open, and an agent could be offered a chat now (agents_to_offer: chat-enabled,
      Online, not away, with room); for a department routed one agent at a time it is enough that
      an agent is there (chat_ready_q), at their limit or not, as the chat then queues;
    - `offline_reason`: None when available, else OfflineReason.OUTSIDE_HOURS while closed (even
      if agents are there) or OfflineReason.NO_AGENTS."""
    now = now or timezone.now()
    staffed = Agent.objects.filter(chat_ready_q(now), departments=OuterRef("pk"))
    # Closed dates from the day before yesterday (UTC) on cover "today" in every time zone.
    upcoming_closed = ClosedDate.objects.filter(date__gte=(now - timedelta(days=2)).date())
    departments = Department.objects.annotate(
        has_room=Exists(agents_to_offer(OuterRef("pk"))), staffed=Exists(staffed)
    ).prefetch_related("opening_hours", Prefetch("closed_dates", queryset=upcoming_closed))
    result = []
    for department in departments.order_by("name"):
        hours = department_hours(department, now)
        reachable = department.staffed if department.routing in Department.ONE_AT_A_TIME else department.has_room
        department.opens_at = hours.opens_at
        if not hours.open:
            department.offline_reason = OfflineReason.OUTSIDE_HOURS
        elif not reachable:
            department.offline_reason = OfflineReason.NO_AGENTS
        else:
            department.offline_reason = None
        department.available = department.offline_reason is None
        result.append(department)
    return result


# The waiting visitor: queue positions and whether anyone is left to answer ---------------------


def waiting_queue(department_id: int | None) -> QuerySet[Chat]:
    """Waiting chats of one department (None: the chats without a department), first come
    first: position 1 is the first of these."""
    return Chat.objects.filter(status=Chat.Status.WAITING, department_id=department_id).order_by("started_at", "pk")


def queue_position(chat: Chat) -> int:
    """The chat's place in its department's queue (1 = next); for a waiting chat."""
    ahead = waiting_queue(chat.department_id).filter(
        Q(started_at__lt=chat.started_at) | Q(started_at=chat.started_at, pk__lt=chat.pk)
    )
    return ahead.count() + 1


def recent_accept_waits(department_id: int | None, *, since: datetime, limit: int) -> list[float]:
    """How long (seconds) the last `limit` chats of the department accepted since `since` waited
    for their accept, newest first."""
    rows = (
        Chat.objects.filter(department_id=department_id, accepted_at__gte=since)
        .order_by("-accepted_at")
        .values_list("started_at", "accepted_at")[:limit]
    )
    return [max(0.0, (accepted_at - started_at).total_seconds()) for started_at, accepted_at in rows]


def departments_with_waiting_chats() -> list[int | None]:
    """Ids of the departments that have waiting chats (None for waiting chats without one)."""
    return list(
        Chat.objects.filter(status=Chat.Status.WAITING).order_by().values_list("department_id", flat=True).distinct()
    )


def queue_staffed(department_id: int | None) -> bool:
    """Whether an agent could take a waiting chat of the department (None: without one) now, as
    GET /api/v1/departments/ counts it: in a department routed one agent at a time, an agent
    there at all (chat_ready_q, at their limit or not: the chat queues for them); otherwise an
    agent who could be offered it now (agents_to_offer: with room)."""
    routing = None
    if department_id is not None:
        routing = Department.objects.filter(pk=department_id).values_list("routing", flat=True).first()
    if routing in Department.ONE_AT_A_TIME:
        return Agent.objects.filter(chat_ready_q(), departments=department_id).exists()
    return agents_to_offer(department_id).exists()


def queue_last_staffed_at(department_id: int | None, now: datetime | None = None) -> datetime | None:
    """When the last of the department's Online agents who are gone now (away: no sign of life,
    signs_of_life) stopped being present, from their connection rows; None if none of them has
    a row left. A closed socket counts for AGENT_AWAY_AFTER_SECONDS after it closed; an open one
    whose process stopped vouching for it, for as long as signs_of_life counts it."""
    now = now or timezone.now()
    gone = Agent.objects.filter(chat_enabled=True, chat_status=Agent.ChatStatus.ONLINE, user__is_active=True).exclude(
        Exists(signs_of_life(now).filter(agent=OuterRef("pk")))
    )
    if department_id is not None:
        gone = gone.filter(departments=department_id)
    grace = timedelta(seconds=settings.AGENT_AWAY_AFTER_SECONDS)
    unvouched = max(grace, timedelta(seconds=STALE_BEATS * settings.AGENT_PRESENCE_HEARTBEAT_SECONDS))
    rows = AgentConnection.objects.filter(agent__in=gone).values_list("seen_at", "closed_at")
    return max((seen_at + (grace if closed_at else unvouched) for seen_at, closed_at in rows), default=None)


# The live monitor (managers: chat.monitor_chats) ---------------------------------------------

MONITOR_PERMISSION = "chat.monitor_chats"


def may_use_monitor(agent_id: int) -> bool:
    """Whether the agent may use the live monitor now (read afresh: a socket asks long after it
    authenticated, and a permission taken away meanwhile counts)."""
    agent = Agent.objects.select_related("user").filter(pk=agent_id, user__is_active=True).first()
    return agent is not None and agent.user.has_perm(MONITOR_PERMISSION)


def monitor_agents() -> QuerySet[Agent]:
    """Every active agent, by name, with `presence` (with_presence), `active_chats` (the open
    chats they take part in) and their departments."""
    open_chats = ChatParticipant.objects.filter(
        agent=OuterRef("pk"), left_at__isnull=True, chat__status__in=Chat.OPEN_STATUSES
    )
    agents = with_presence(Agent.objects.filter(user__is_active=True))
    return (
        agents.annotate(active_chats=_count(open_chats, per="agent"))
        .prefetch_related("departments")
        .order_by("display_name", "pk")
    )


def agents_gone_away_since(since: datetime, now: datetime | None = None) -> list[int]:
    """Ids of the agents who are away now (Online, enabled, active, no sign of life) and were
    still present after `since`, by their connection rows as queue_last_staffed_at reads them: a
    closed socket counts for AGENT_AWAY_AFTER_SECONDS, an open one its process stopped vouching
    for as long as signs_of_life counts it. Their presence turned without any write."""
    now = now or timezone.now()
    gone = Agent.objects.filter(chat_enabled=True, chat_status=Agent.ChatStatus.ONLINE, user__is_active=True).exclude(
        Exists(signs_of_life(now).filter(agent=OuterRef("pk")))
    )
    grace = timedelta(seconds=settings.AGENT_AWAY_AFTER_SECONDS)
    unvouched = max(grace, timedelta(seconds=STALE_BEATS * settings.AGENT_PRESENCE_HEARTBEAT_SECONDS))
    present_until: dict[int, datetime] = {}
    for agent_id, seen_at, closed_at in AgentConnection.objects.filter(agent__in=gone).values_list(
        "agent_id", "seen_at", "closed_at"
    ):
        until = seen_at + (grace if closed_at else unvouched)
        present_until[agent_id] = max(until, present_until.get(agent_id, until))
    return sorted(agent_id for agent_id, until in present_until.items() if until > since)


def monitor_chats() -> QuerySet[Chat]:
    """Chats with their visitor, department, owner and `current_participations` (the agents
    taking part now, as ChatParticipant rows with their agent), first started first."""
    taking_part = ChatParticipant.objects.filter(left_at__isnull=True).select_related("agent")
    return (
        Chat.objects.select_related("visitor", "department", "owner")
        .prefetch_related(
            Prefetch(
                "chatparticipant_set",
                queryset=taking_part.order_by("joined_at", "pk"),
                to_attr="current_participations",
            )
        )
        .order_by("started_at", "pk")
    )


def monitor_chat(chat_id: int) -> Chat | None:
    return monitor_chats().filter(pk=chat_id).first()


class MonitorState(NamedTuple):
    """What the live monitor shows: chats waiting, chats open (active or ending), every agent."""

    waiting: list[Chat]
    active: list[Chat]
    agents: list[Agent]


def monitor_state() -> MonitorState:
    return MonitorState(
        waiting=list(monitor_chats().filter(status=Chat.Status.WAITING)),
        active=list(monitor_chats().filter(status__in=Chat.OPEN_STATUSES)),
        agents=list(monitor_agents()),
    )
