"""Every change of a chat's state. Each function runs in one transaction and publishes what
changed to the channel layer only after it commits."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chat import frames, selectors
from chat.models import Chat, ChatParticipant, Message, Visitor
from chat.visitor_info import VisitorFacts
from helpdesk.errors import DomainError
from helpdesk.events import agent_group, chat_group, publish_on_commit
from helpdesk.models import Agent, Department
from tickets.models import Ticket
from tickets.services import ticket_create_from_chat

CLIENT_ID_MAX_CHARS = 64


def _frame_event(frame: dict) -> dict:
    """A group event whose handler forwards `frame` to the client as it is."""
    return {"type": "chat.frame", "frame": frame}


def _schedule_on_commit(task, *args, eta: datetime) -> None:
    transaction.on_commit(lambda: task.apply_async(args=args, eta=eta))


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
        visitor = Visitor.objects.filter(email__iexact=email).order_by("-last_seen_at").first()
        if visitor is None:
            visitor = Visitor(email=email, first_seen_at=now)
        visitor.name = name
        visitor.ip_address = facts.ip_address
        visitor.user_agent = facts.user_agent
        visitor.browser = facts.browser
        visitor.operating_system = facts.operating_system
        visitor.location = facts.location
        visitor.last_seen_at = now
        visitor.save()
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
            publish_on_commit(agent_group(agent.pk), _frame_event(frames.offered_frame(chat, ring=agent.ringer)))
        _schedule_on_commit(chat_miss_when_due, chat.pk, eta=chat.missed_deadline)
    return chat, token


def chat_for_visitor(*, chat_id: int, token: str) -> Chat:
    """The chat this visitor token opens.

    Raises DomainError "invalid_token" for a token that opens no chat, and "not_allowed" for
    one that opens a different chat.
    """
    token_hash = Chat.hash_token(token or "")
    chat = Chat.objects.select_related("visitor", "department", "owner").filter(pk=chat_id).first()
    if chat is not None and secrets.compare_digest(chat.visitor_token_hash, token_hash):
        return chat
    if token and Chat.objects.filter(visitor_token_hash=token_hash).exists():
        raise DomainError("not_allowed", "This token belongs to another chat.")
    raise DomainError("invalid_token", "The visitor token is missing or wrong.")


def chat_accept(*, chat_id: int, agent: Agent) -> Chat:
    """The agent takes a waiting chat. Of agents accepting at once exactly one wins: the
    status change is a single conditional UPDATE, so the database picks the winner."""
    if not agent.chat_enabled:
        raise DomainError("not_allowed", "You are not enabled for chat.")
    chat = selectors.access_chat(agent=agent, chat_id=chat_id)
    with transaction.atomic():
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
        publish_on_commit(chat_group(chat.pk), _frame_event(accepted))
        # The winner's socket joins the chat's group on this event.
        publish_on_commit(agent_group(agent.pk), {"type": "chat.joined", "chat_id": chat.pk, "frame": accepted})
        withdrawn = _frame_event(frames.offer_withdrawn_frame(chat, reason="accepted"))
        for other_id in selectors.agents_offered_chat(chat).exclude(pk=agent.pk).values_list("pk", flat=True):
            publish_on_commit(agent_group(other_id), withdrawn)
    return chat


# Messages ----------------------------------------------------------------------------------


def clean_body(body) -> str:
    if not isinstance(body, str):
        raise DomainError("invalid", "body must be a string.")
    body = body.strip()
    if not body:
        raise DomainError("invalid", "The message is empty.")
    if len(body) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise DomainError(
            "message_too_long", f"The message is longer than {settings.CHAT_MAX_MESSAGE_CHARS} characters."
        )
    return body


def clean_client_id(client_id) -> str | None:
    if client_id is None or client_id == "":
        return None
    if not isinstance(client_id, str) or len(client_id) > CLIENT_ID_MAX_CHARS:
        raise DomainError("invalid", f"client_id must be a string of at most {CLIENT_ID_MAX_CHARS} characters.")
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
    RETURNING last_seq
"""


def message_post(
    *, chat_id: int, body, sender_kind: str, sender_name: str, agent: Agent | None = None, client_id=None
) -> tuple[Message, bool]:
    """Append a message; returns (message, created).

    The hot path: one UPDATE ... RETURNING that takes the next sequence number (and row-locks
    the chat, so concurrent posts to one chat serialise), one INSERT, one publish. The UPDATE
    also checks that the chat is open and the agent takes part; only when it matches nothing
    do we spend a query on finding out why. A repeated client_id returns the stored message.
    """
    body = clean_body(body)
    client_id = clean_client_id(client_id)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if agent is None:
                    cursor.execute(_NEXT_SEQ_FOR_VISITOR, [chat_id])
                else:
                    cursor.execute(_NEXT_SEQ_FOR_AGENT, [chat_id, chat_id, agent.pk])
                row = cursor.fetchone()
            if row is None:
                raise _why_not_postable(chat_id=chat_id, agent=agent)
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
            publish_on_commit(chat_group(chat_id), _frame_event(frames.message_frame(message)))
            return message, True
    except IntegrityError:
        # The whole transaction rolled back, sequence number included.
        existing = Message.objects.filter(chat_id=chat_id, client_id=client_id).first() if client_id else None
        if existing is None:
            raise
        return existing, False


def _why_not_postable(*, chat_id: int, agent: Agent | None) -> DomainError:
    chat = Chat.objects.filter(pk=chat_id).only("status").first()
    if chat is None:
        return DomainError("not_found", "No such chat.")
    if chat.status in Chat.CLOSED_STATUSES:
        return DomainError("chat_closed", "This chat has ended.")
    if agent is not None and chat.status == Chat.Status.WAITING:
        return DomainError("not_allowed", "Accept the chat before writing in it.")
    return DomainError("not_allowed", "You do not take part in this chat.")


def system_message_post(*, chat: Chat, body: str) -> Message:
    """A line in the conversation written by the system (e.g. "Transferred from A to B")."""
    message, _ = message_post(chat_id=chat.pk, body=body, sender_kind=Message.SenderKind.SYSTEM, sender_name="System")
    return message


# Ending ------------------------------------------------------------------------------------


def _lock_chat(chat_id: int) -> Chat:
    chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
    if chat is None:
        raise DomainError("not_found", "No such chat.")
    return chat


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
    selectors.access_chat(agent=agent, chat_id=chat_id)
    if delay_seconds == 0:
        return chat_end(chat_id=chat_id, agent=agent)
    with transaction.atomic():
        chat = _lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError("chat_closed", "This chat has already ended.")
        _require_participant(chat, agent)
        chat.status = Chat.Status.ENDING
        chat.ends_at = timezone.now() + timedelta(seconds=delay_seconds)
        chat.save(update_fields=["status", "ends_at"])
        publish_on_commit(chat_group(chat.pk), _frame_event(frames.ending_frame(chat)))
        _schedule_on_commit(chat_end_when_due, chat.pk, chat.ends_at.isoformat(), eta=chat.ends_at)
    return chat


def chat_cancel_end(*, chat_id: int, agent: Agent) -> Chat:
    selectors.access_chat(agent=agent, chat_id=chat_id)
    with transaction.atomic():
        chat = _lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError("chat_closed", "This chat has already ended.")
        _require_participant(chat, agent)
        if chat.status != Chat.Status.ENDING:
            raise DomainError("not_ending", "This chat has no scheduled end to cancel.")
        chat.status = Chat.Status.ACTIVE
        chat.ends_at = None
        chat.save(update_fields=["status", "ends_at"])
        publish_on_commit(chat_group(chat.pk), _frame_event(frames.end_cancelled_frame(chat)))
    return chat


def chat_end(*, chat_id: int, agent: Agent | None = None) -> Chat:
    """End an active chat now and write its transcript ticket. Ending an ended chat changes
    nothing. `agent` None means the visitor or the system ended it."""
    with transaction.atomic():
        chat = _lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            return chat
        if chat.status == Chat.Status.WAITING:
            if agent is not None:
                raise DomainError("not_allowed", "Accept the chat before ending it.")
            return _mark_missed(chat)
        if agent is not None:
            _require_participant(chat, agent)
        return _close(chat)


def _close(chat: Chat) -> Chat:
    """Precondition: `chat` is locked (SELECT FOR UPDATE) and active or ending."""
    chat.status = Chat.Status.ENDED
    chat.ended_at = timezone.now()
    chat.ends_at = None
    chat.save(update_fields=["status", "ended_at", "ends_at"])
    ticket = ticket_create_from_chat(chat=chat, kind=Ticket.Kind.CHAT_TRANSCRIPT)
    ChatParticipant.objects.filter(chat=chat, left_at__isnull=True).update(left_at=chat.ended_at)
    publish_on_commit(
        chat_group(chat.pk),
        {"type": "chat.closed", "chat_id": chat.pk, "frame": frames.ended_frame(chat, ticket_id=ticket.pk)},
    )
    return chat


def chat_end_when_due(*, chat_id: int, scheduled_for: datetime | None = None) -> Chat | None:
    """Run a scheduled end if it is still scheduled and due. Safe to run any number of times:
    after a cancel, a manual end or a reschedule to a later moment it changes nothing."""
    with transaction.atomic():
        chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
        if chat is None or chat.status != Chat.Status.ENDING:
            return None
        due = chat.ends_at <= timezone.now() or (scheduled_for is not None and chat.ends_at == scheduled_for)
        if not due:
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
        # Countdown timers may fire a hair early; a second is far below any real deadline.
        if (
            chat is None
            or chat.status != Chat.Status.WAITING
            or chat.missed_deadline > timezone.now() + timedelta(seconds=1)
        ):
            return None
        return _mark_missed(chat)


def _mark_missed(chat: Chat) -> Chat:
    """Precondition: `chat` is locked (SELECT FOR UPDATE) and waiting."""
    chat.status = Chat.Status.MISSED
    chat.ended_at = timezone.now()
    chat.save(update_fields=["status", "ended_at"])
    ticket = ticket_create_from_chat(chat=chat, kind=Ticket.Kind.MISSED_CHAT)
    publish_on_commit(
        chat_group(chat.pk),
        {"type": "chat.closed", "chat_id": chat.pk, "frame": frames.missed_frame(chat, ticket_id=ticket.pk)},
    )
    withdrawn = _frame_event(frames.offer_withdrawn_frame(chat, reason="missed"))
    for agent_id in selectors.agents_offered_chat(chat).values_list("pk", flat=True):
        publish_on_commit(agent_group(agent_id), withdrawn)
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
        publish_on_commit(agent_group(agent.pk), _frame_event(frame))
