"""Every change of a chat's state. Each function runs in one transaction and publishes what
changed to the channel layer only after it commits."""

import logging
import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chat import frames, selectors
from chat.models import Chat, ChatParticipant, Message, Visitor
from chat.visitor_info import VisitorFacts
from helpdesk.errors import DomainError
from helpdesk.events import publish_to_agent, publish_to_chat
from helpdesk.models import Agent, Department
from helpdesk.webhooks import webhooks_enqueue
from tickets.models import Ticket
from tickets.services import ticket_create_from_chat

CLIENT_ID_MAX_CHARS = 64
MAX_ID = 2**63 - 1
# Countdown timers may fire a hair early; a deadline this close counts as reached.
TIMER_TOLERANCE = timedelta(milliseconds=500)
logger = logging.getLogger(__name__)


def _schedule_on_commit(task, *args, eta: datetime) -> None:
    """The countdown task is only the fast path: if the broker is down the periodic sweep
    still finds the deadline in the database, so a failure here must not fail the request."""

    def schedule():
        try:
            task.apply_async(args=args, eta=eta)
        except Exception:
            logger.exception("could not schedule %s%s; the sweep will run it", task.name, args)

    transaction.on_commit(schedule)


def clean_id(value) -> int:
    """A positive database id; anything else (bools, strings, out of range) is refused."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise DomainError("invalid", "Ids are positive integers.")
    return value


def clean_text(value, *, field: str) -> str:
    """Text the database can store: a string without NUL characters or lone surrogates."""
    if not isinstance(value, str):
        raise DomainError("invalid", f"{field} must be a string.")
    if "\x00" in value:
        raise DomainError("invalid", f"{field} must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DomainError("invalid", f"{field} is not valid Unicode text.") from error
    return value


# Start and offer ---------------------------------------------------------------------------


def chat_start(
    *,
    name: str,
    email: str,
    question: str,
    department: Department | None,
    facts: VisitorFacts,
    page_url: str = "",
) -> tuple[Chat, str]:
    """Open a waiting chat for a visitor and offer it to the agents who can take it.

    Returns the chat and the visitor's secret token (only its hash is stored).
    """
    from chat.tasks import chat_miss_when_due

    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        _require_room_to_wait(email=email, ip_address=facts.ip_address, now=now)
        # One Visitor row per chat: nobody signs in, so a chat started with someone's e-mail
        # address must not rewrite the name and facts of that person's other chats. Earlier
        # visits are found by e-mail (Recent Chats); first_seen carries over.
        earlier = Visitor.objects.filter(email__iexact=email).order_by("first_seen_at").first()
        visitor = Visitor.objects.create(
            name=name,
            email=email,
            ip_address=facts.ip_address,
            user_agent=facts.user_agent,
            browser=facts.browser,
            operating_system=facts.operating_system,
            location=facts.location,
            first_seen_at=earlier.first_seen_at if earlier else now,
            last_seen_at=now,
        )
        chat = Chat.objects.create(
            visitor=visitor,
            department=department,
            question=question,
            page_url=page_url,
            visitor_token_hash=Chat.hash_token(token),
            started_at=now,
            missed_deadline=now + timedelta(seconds=settings.CHAT_MISSED_AFTER_SECONDS),
        )
        for agent in selectors.agents_to_offer(department):
            publish_to_agent(agent.pk, frames.offered_frame(chat, ring=agent.ringer))
        webhooks_enqueue("chat.started", frames.chat_event_data(chat))
        _schedule_on_commit(chat_miss_when_due, chat.pk, eta=chat.missed_deadline)
    return chat, token


def _require_room_to_wait(*, email: str, ip_address: str | None, now: datetime) -> None:
    """At most CHAT_MAX_WAITING_PER_IP chats waiting from one client address and
    CHAT_MAX_WAITING_PER_EMAIL for one e-mail (0: no limit), else DomainError
    "too_many_waiting" with the seconds until the oldest of them is answered or missed.

    Starts sharing an address or an e-mail are serialised for the rest of the transaction, so
    that two at once cannot both take the last place: advisory locks on PostgreSQL; SQLite's
    transactions (IMMEDIATE) already run one at a time.
    """
    limits = [
        ("visitor__ip_address", ip_address, settings.CHAT_MAX_WAITING_PER_IP, "from your network address"),
        ("visitor__email__iexact", email.strip().lower(), settings.CHAT_MAX_WAITING_PER_EMAIL, "for your e-mail"),
    ]
    limits = [limit for limit in limits if limit[1] and limit[2] > 0]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for key in sorted(f"chat_start:{field}:{value}" for field, value, _, _ in limits):  # one order: no deadlock
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
    for field, value, most, whose in limits:
        deadlines = list(
            Chat.objects.filter(status=Chat.Status.WAITING, **{field: value})
            .order_by("missed_deadline")
            .values_list("missed_deadline", flat=True)[:most]
        )
        if len(deadlines) >= most:
            wait = max(1, math.ceil((deadlines[0] - now).total_seconds()))
            raise DomainError(
                "too_many_waiting",
                f"{most} chats {whose} are already waiting for an agent; "
                f"please wait for an answer there, or try again in {wait} seconds.",
                retry_after=wait,
            )


def chat_for_visitor(*, chat_id: int, token: str) -> Chat:
    """The chat this visitor token opens.

    Raises DomainError "invalid_token" for a token that opens no chat, "not_allowed" for one
    that opens a different chat, and "token_expired" once the chat has been closed for longer
    than VISITOR_TOKEN_TTL_AFTER_END_SECONDS.
    """
    token_hash = Chat.hash_token(token or "")
    chat = Chat.objects.select_related("visitor", "department", "owner").filter(pk=chat_id).first()
    if chat is not None and secrets.compare_digest(chat.visitor_token_hash, token_hash):
        ttl = timedelta(seconds=settings.VISITOR_TOKEN_TTL_AFTER_END_SECONDS)
        if chat.status in Chat.CLOSED_STATUSES and chat.ended_at and timezone.now() > chat.ended_at + ttl:
            raise DomainError("token_expired", "This chat has ended and its visitor token has expired.")
        return chat
    if token and Chat.objects.filter(visitor_token_hash=token_hash).exists():
        raise DomainError("not_allowed", "This token belongs to another chat.")
    raise DomainError("invalid_token", "The visitor token is missing or wrong.")


def chat_accept(*, chat_id: int, agent: Agent) -> Chat:
    """The agent takes a waiting chat. Of agents accepting at once exactly one wins: the
    status change is a single conditional UPDATE, so the database picks the winner."""
    selectors.access_active_agent(agent)
    chat = selectors.access_chat(agent=agent, chat_id=chat_id)
    with transaction.atomic():
        # Locking the agent serialises one agent's accepts, so the limit holds under
        # concurrency, and reads their current settings rather than a caller's stale copy.
        agent = Agent.objects.select_for_update().get(pk=agent.pk)
        if not agent.chat_enabled:
            raise DomainError("not_allowed", "You are not enabled for chat.")
        if selectors.open_chat_count(agent) >= agent.max_concurrent_chats:
            raise DomainError("chat_limit_reached", "You already have as many chats as your limit allows.")
        now = timezone.now()
        won = Chat.objects.filter(pk=chat.pk, status=Chat.Status.WAITING).update(
            status=Chat.Status.ACTIVE, owner=agent, accepted_at=now
        )
        if not won:
            chat.refresh_from_db()
            if chat.status == Chat.Status.MISSED:
                raise DomainError("chat_closed", "This chat was missed and is now a ticket.")
            who = chat.owner.display_name if chat.owner else "another agent"
            raise DomainError("already_accepted", f"This chat was already accepted by {who}.")
        chat.refresh_from_db()
        ChatParticipant.objects.create(chat=chat, agent=agent, joined_at=now)
        accepted = frames.accepted_frame(chat)
        publish_to_chat(chat.pk, accepted)
        # The winner's sockets join the chat on this event.
        publish_to_agent(agent.pk, accepted, event="chat.joined", chat_id=chat.pk)
        withdrawn = frames.offer_withdrawn_frame(chat, reason="accepted")
        for other_id in selectors.agents_offered_chat(chat).exclude(pk=agent.pk).values_list("pk", flat=True):
            publish_to_agent(other_id, withdrawn)
        webhooks_enqueue("chat.accepted", frames.chat_event_data(chat))
    return chat


# Messages ----------------------------------------------------------------------------------


def clean_body(body) -> str:
    body = clean_text(body, field="body")
    # The length as sent, not as trimmed: the API schema's maxLength states it.
    if len(body) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise DomainError(
            "message_too_long", f"The message is longer than {settings.CHAT_MAX_MESSAGE_CHARS} characters."
        )
    body = body.strip()
    if not body:
        raise DomainError("invalid", "The message is empty.")
    return body


def clean_client_id(client_id) -> str | None:
    if client_id is None or client_id == "":
        return None
    client_id = clean_text(client_id, field="client_id")
    if len(client_id) > CLIENT_ID_MAX_CHARS:
        raise DomainError("invalid", f"client_id must be at most {CLIENT_ID_MAX_CHARS} characters.")
    return client_id


_NEXT_SEQ_FOR_VISITOR = f"""
    UPDATE {Chat._meta.db_table} SET last_seq = last_seq + 1
    WHERE id = %s AND status IN ('waiting', 'active', 'ending')
    RETURNING last_seq
"""
_NEXT_SEQ_FOR_AGENT = f"""
    UPDATE {Chat._meta.db_table} SET last_seq = last_seq + 1
    WHERE id = %s AND status IN ('active', 'ending') AND EXISTS (
        SELECT 1 FROM {ChatParticipant._meta.db_table} p
        WHERE p.chat_id = %s AND p.agent_id = %s AND p.left_at IS NULL)
    AND EXISTS (
        SELECT 1 FROM {Agent._meta.db_table} a JOIN {Agent.user.field.related_model._meta.db_table} u
        ON u.id = a.user_id WHERE a.id = %s AND u.is_active)
    RETURNING last_seq
"""


def message_post(
    *, chat_id: int, body, sender_kind: str, sender_name: str, agent: Agent | None = None, client_id=None
) -> tuple[Message, bool]:
    """Append a message; returns (message, created).

    The hot path: one UPDATE ... RETURNING that takes the next sequence number (and row-locks
    the chat, so concurrent posts to one chat serialise), one INSERT, one publish. The UPDATE
    also checks that the chat is open and the agent takes part; only when it matches nothing
    do we spend a query on finding out why.

    A repeated client_id from the same sender returns the stored message (also after the chat
    closed); the same client_id from someone else in the chat is a conflict.
    """
    chat_id = clean_id(chat_id)
    body = clean_body(body)
    client_id = clean_client_id(client_id)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if agent is None:
                    cursor.execute(_NEXT_SEQ_FOR_VISITOR, [chat_id])
                else:
                    cursor.execute(_NEXT_SEQ_FOR_AGENT, [chat_id, chat_id, agent.pk, agent.pk])
                row = cursor.fetchone()
            if row is None:
                refusal = _why_not_postable(chat_id=chat_id, agent=agent)
                resent = (
                    None if refusal.code == "not_found" else _resent_message(chat_id, client_id, sender_kind, agent)
                )
                if resent is not None:
                    return resent, False
                raise refusal
            message = Message.objects.create(
                chat_id=chat_id,
                seq=row[0],
                sender_kind=sender_kind,
                sender_name=sender_name,
                sender_agent=agent,
                body=body,
                client_id=client_id,
                created_at=timezone.now(),
            )
            publish_to_chat(chat_id, frames.message_frame(message))
            return message, True
    except IntegrityError:
        # The whole transaction rolled back, sequence number included.
        resent = _resent_message(chat_id, client_id, sender_kind, agent)
        if resent is None:
            raise
        return resent, False


def _resent_message(chat_id: int, client_id: str | None, sender_kind: str, agent: Agent | None) -> Message | None:
    if client_id is None:
        return None
    existing = Message.objects.filter(chat_id=chat_id, client_id=client_id).first()
    if existing is None:
        return None
    if existing.sender_kind != sender_kind or existing.sender_agent_id != (agent.pk if agent else None):
        raise DomainError("conflict", "This client_id was already used by someone else in this chat.")
    return existing


def system_message_post(*, chat: Chat, body: str) -> Message:
    """A line the system writes in the conversation (e.g. "Transferred from A to B"); it is
    part of the transcript like any other message."""
    message, _ = message_post(chat_id=chat.pk, body=body, sender_kind=Message.SenderKind.SYSTEM, sender_name="System")
    return message


def _why_not_postable(*, chat_id: int, agent: Agent | None) -> DomainError:
    if agent is not None:
        try:
            selectors.access_active_agent(agent)
        except DomainError as error:
            return error
    if agent is not None and not selectors.chats_visible_to(agent).filter(pk=chat_id).exists():
        return DomainError("not_found", "No such chat.")
    chat = Chat.objects.filter(pk=chat_id).only("status").first()
    if chat is None:
        return DomainError("not_found", "No such chat.")
    if chat.status in Chat.CLOSED_STATUSES:
        return DomainError("chat_closed", "This chat has ended.")
    if agent is not None and chat.status == Chat.Status.WAITING:
        return DomainError("not_allowed", "Accept the chat before writing in it.")
    return DomainError("not_allowed", "You do not take part in this chat.")


# Ending ------------------------------------------------------------------------------------


def _lock_chat(chat_id: int) -> Chat:
    chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
    if chat is None:
        raise DomainError("not_found", "No such chat.")
    return chat


def _require_owner(chat: Chat, agent: Agent) -> None:
    """Ending is the owner's: an invited agent leaves instead, and the owner's end ends it for all."""
    _require_participant(chat, agent)
    if chat.owner_id != agent.pk:
        raise DomainError("not_allowed", "Only the chat's owner can end it; you can leave it instead.")


def _require_participant(chat: Chat, agent: Agent) -> None:
    if not selectors.is_participant(chat_id=chat.pk, agent_id=agent.pk):
        if chat.status == Chat.Status.WAITING:
            raise DomainError("not_allowed", "Accept the chat first.")
        raise DomainError("not_allowed", "You do not take part in this chat.")


def clean_delay(delay_seconds) -> int:
    if isinstance(delay_seconds, bool) or not isinstance(delay_seconds, int):
        raise DomainError("invalid", "delay_seconds must be a whole number of seconds.")
    if not 0 <= delay_seconds <= settings.CHAT_MAX_END_DELAY_SECONDS:
        raise DomainError("invalid", f"delay_seconds must be between 0 and {settings.CHAT_MAX_END_DELAY_SECONDS}.")
    return delay_seconds


def chat_schedule_end(*, chat_id: int, agent: Agent, delay_seconds) -> Chat:
    """End the chat now (delay 0) or at a moment stored in `ends_at`. Scheduling again moves it."""
    from chat.tasks import chat_end_when_due

    delay_seconds = clean_delay(delay_seconds)
    chat_id = clean_id(chat_id)
    selectors.access_active_agent(agent)
    selectors.access_chat(agent=agent, chat_id=chat_id)
    if delay_seconds == 0:
        return chat_end(chat_id=chat_id, agent=agent)
    with transaction.atomic():
        chat = _lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError("chat_closed", "This chat has already ended.")
        _require_owner(chat, agent)
        chat.status = Chat.Status.ENDING
        chat.ends_at = timezone.now() + timedelta(seconds=delay_seconds)
        chat.save(update_fields=["status", "ends_at"])
        publish_to_chat(chat.pk, frames.ending_frame(chat))
        _schedule_on_commit(chat_end_when_due, chat.pk, chat.ends_at.isoformat(), eta=chat.ends_at)
    return chat


def chat_cancel_end(*, chat_id: int, agent: Agent) -> Chat:
    chat_id = clean_id(chat_id)
    selectors.access_active_agent(agent)
    selectors.access_chat(agent=agent, chat_id=chat_id)
    with transaction.atomic():
        chat = _lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError("chat_closed", "This chat has already ended.")
        _require_owner(chat, agent)
        if chat.status != Chat.Status.ENDING:
            raise DomainError("not_ending", "This chat has no scheduled end to cancel.")
        chat.status = Chat.Status.ACTIVE
        chat.ends_at = None
        chat.save(update_fields=["status", "ends_at"])
        publish_to_chat(chat.pk, frames.end_cancelled_frame(chat))
    return chat


def chat_end(*, chat_id: int, agent: Agent | None = None) -> Chat:
    """End an active chat now and write its transcript ticket. Ending an ended chat changes
    nothing. `agent` None means the visitor or the system ended it."""
    if agent is not None:
        selectors.access_active_agent(agent)
    with transaction.atomic():
        chat = _lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            return chat
        if chat.status == Chat.Status.WAITING:
            if agent is not None:
                raise DomainError("not_allowed", "Accept the chat before ending it.")
            return _mark_missed(chat)
        if agent is not None:
            _require_owner(chat, agent)
        return _close(chat)


def handovers_cancel_for_closed_chat(chat: Chat) -> None:
    from chat.services_handover import handovers_cancel_for_closed_chat as cancel

    cancel(chat)


def _close(chat: Chat) -> Chat:
    """Precondition: `chat` is locked (SELECT FOR UPDATE) and active or ending."""
    chat.status = Chat.Status.ENDED
    chat.ended_at = timezone.now()
    chat.ends_at = None
    chat.save(update_fields=["status", "ended_at", "ends_at"])
    handovers_cancel_for_closed_chat(chat)
    ticket = ticket_create_from_chat(chat=chat, kind=Ticket.Kind.CHAT_TRANSCRIPT)
    agents = list(Agent.objects.filter(chatparticipant__chat=chat, chatparticipant__left_at__isnull=True))
    ChatParticipant.objects.filter(chat=chat, left_at__isnull=True).update(
        left_at=chat.ended_at, left_seq=selectors.chat_last_seq(chat.pk)
    )
    publish_to_chat(chat.pk, frames.ended_frame(chat, ticket_id=ticket.pk), event="chat.closed")
    webhooks_enqueue("chat.ended", {**frames.chat_event_data(chat), "ticket_id": ticket.pk})
    for agent in agents:  # each now has room for another chat: offer what is waiting
        offers_publish_for_agent(agent=agent)
    return chat


def chat_end_when_due(*, chat_id: int, scheduled_for: datetime | None = None) -> Chat | None:
    """Run a scheduled end if it is still scheduled and due. Safe to run any number of times:
    after a cancel, a manual end or a reschedule to another moment it changes nothing.

    `scheduled_for` is the `ends_at` a countdown task was created for: that task may end the
    chat even if its timer fired a few milliseconds early, but only while `ends_at` is still
    its own (a reschedule, even a few milliseconds later, belongs to the newer task). The
    sweep passes nothing and ends what is overdue.
    """
    with transaction.atomic():
        chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
        if chat is None or chat.status != Chat.Status.ENDING:
            return None
        own_moment = scheduled_for is not None and chat.ends_at == scheduled_for
        if not own_moment and chat.ends_at > timezone.now():
            return None
        return _close(chat)


# Missed chats ------------------------------------------------------------------------------


def chat_visitor_leave(*, chat: Chat) -> Chat:
    """The visitor closed the chat: a waiting one becomes a missed chat, an active one ends."""
    return chat_end(chat_id=chat.pk)


def chat_mark_missed_when_due(*, chat_id: int) -> Chat | None:
    """Turn a chat nobody accepted into a Missed Chats ticket once its deadline has passed.
    Safe to run any number of times."""
    with transaction.atomic():
        chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
        if (
            chat is None
            or chat.status != Chat.Status.WAITING
            or chat.missed_deadline > timezone.now() + TIMER_TOLERANCE
        ):
            return None
        return _mark_missed(chat)


def _mark_missed(chat: Chat) -> Chat:
    """Precondition: `chat` is locked (SELECT FOR UPDATE) and waiting."""
    chat.status = Chat.Status.MISSED
    chat.ended_at = timezone.now()
    chat.save(update_fields=["status", "ended_at"])
    ticket = ticket_create_from_chat(chat=chat, kind=Ticket.Kind.MISSED_CHAT)
    publish_to_chat(chat.pk, frames.missed_frame(chat, ticket_id=ticket.pk), event="chat.closed")
    webhooks_enqueue("chat.missed", {**frames.chat_event_data(chat), "ticket_id": ticket.pk})
    withdrawn = frames.offer_withdrawn_frame(chat, reason="missed")
    for agent_id in selectors.agents_offered_chat(chat).values_list("pk", flat=True):
        publish_to_agent(agent_id, withdrawn)
    return chat


def offers_publish_for_agent(*, agent: Agent, withdraw: bool = False) -> None:
    """Put the waiting chats this agent can take on their screen, or take them away."""
    chats = selectors.waiting_chats_for(agent) if not withdraw else selectors.waiting_chats_in_reach(agent)
    for chat in chats:
        frame = (
            frames.offer_withdrawn_frame(chat, reason="offline")
            if withdraw
            else frames.offered_frame(chat, ring=agent.ringer)
        )
        publish_to_agent(agent.pk, frame)
