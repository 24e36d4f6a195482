"""The conversation: messages take the chat's next sequence number, assigned in the database."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import frames, selectors
from chat.models import Chat, ChatParticipant, Message
from chat.services.checks import clean_id, clean_text, require_visitor_of
from helpdesk.actors import SYSTEM, Actor, ChatVisitor
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import publish_to_chat
from helpdesk.platform.metrics import count_message_on_commit

CLIENT_ID_MAX_CHARS = 64


def clean_body(body) -> str:
    body = clean_text(body, field="body")
    # The length as sent, not as trimmed: the API schema's maxLength states it.
    if len(body) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise DomainError(
            ErrorCode.MESSAGE_TOO_LONG,
            _("The message is longer than %(max)s characters.") % {"max": settings.CHAT_MAX_MESSAGE_CHARS},
        )
    body = body.strip()
    if not body:
        raise DomainError(ErrorCode.INVALID, _("The message is empty."))
    return body


def clean_client_id(client_id) -> str | None:
    if client_id is None or client_id == "":
        return None
    client_id = clean_text(client_id, field="client_id")
    if len(client_id) > CLIENT_ID_MAX_CHARS:
        raise DomainError(
            ErrorCode.INVALID, _("client_id must be at most %(max)s characters.") % {"max": CLIENT_ID_MAX_CHARS}
        )
    return client_id


# Each returns the new seq and how many internal notes the chat holds (all of them earlier: the
# UPDATE row-locks the chat), which turns a seq into the visitor's (selectors.visitor_seq_of).
_INTERNAL_NOTES = f"(SELECT COUNT(*) FROM {Message._meta.db_table} m WHERE m.chat_id = %s AND m.internal)"
_NEXT_SEQ_FOR_VISITOR = f"""
    UPDATE {Chat._meta.db_table} SET last_seq = last_seq + 1
    WHERE id = %s AND status IN ('waiting', 'active', 'ending')
    RETURNING last_seq, {_INTERNAL_NOTES}
"""
# An agent who takes part, or (the %s after the EXISTS) one who may monitor chats writing a note.
_NEXT_SEQ_FOR_AGENT = f"""
    UPDATE {Chat._meta.db_table} SET last_seq = last_seq + 1
    WHERE id = %s AND status IN ('active', 'ending') AND (EXISTS (
        SELECT 1 FROM {ChatParticipant._meta.db_table} p
        WHERE p.chat_id = %s AND p.agent_id = %s AND p.left_at IS NULL) OR %s)
    AND EXISTS (
        SELECT 1 FROM {Agent._meta.db_table} a JOIN {Agent.user.field.related_model._meta.db_table} u
        ON u.id = a.user_id WHERE a.id = %s AND u.is_active)
    RETURNING last_seq, {_INTERNAL_NOTES}
"""


def sender_of(actor: Actor) -> tuple[str, str, Agent | None]:
    """(sender kind, the name shown, the agent) of a message written by `actor`."""
    if isinstance(actor, Agent):
        return Message.SenderKind.AGENT, actor.display_name, actor
    if isinstance(actor, ChatVisitor):
        return Message.SenderKind.VISITOR, actor.name, None
    return Message.SenderKind.SYSTEM, SYSTEM.name, None


def clean_internal(internal) -> bool:
    if not isinstance(internal, bool):
        raise DomainError(ErrorCode.INVALID, _("'internal' must be true or false."))
    return internal


def may_monitor(agent: Agent) -> bool:
    """A manager watching chats (chat.monitor_chats) may write internal notes in any open chat.
    Read afresh: a socket's user object would keep the permissions it cached when it opened."""
    user = get_user_model().objects.filter(pk=agent.user_id).first()
    return user is not None and user.has_perm("chat.monitor_chats")


def message_post(*, actor: Actor, chat_id: int, body, client_id=None, internal=False) -> tuple[Message, bool]:
    """Append a message; returns (message, created).

    The hot path: one UPDATE ... RETURNING that takes the next sequence number (and row-locks
    the chat, so concurrent posts to one chat serialise), one INSERT, one publish. The UPDATE
    also checks that the chat is open and the agent takes part; only when it matches nothing
    do we spend a query on finding out why.

    A repeated client_id from the same sender returns the stored message (also after the chat
    closed); the same client_id from someone else in the chat is a conflict.

    `internal`: a note for agents only, written by an agent who takes part or a manager who may
    monitor chats. It takes the chat's next seq like any message and goes to the agents'
    sockets alone; the visitor never receives it, and their sequence (`visitor_seq`) skips it.
    """
    chat_id = clean_id(chat_id)
    internal = clean_internal(internal)
    if isinstance(actor, ChatVisitor):
        require_visitor_of(actor, chat_id)
    sender_kind, sender_name, agent = sender_of(actor)
    if internal and agent is None:
        raise DomainError(ErrorCode.NOT_ALLOWED, _("Only agents write internal notes."))
    body = clean_body(body)
    client_id = clean_client_id(client_id)
    monitor = internal and may_monitor(agent)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if agent is None:
                    cursor.execute(_NEXT_SEQ_FOR_VISITOR, [chat_id, chat_id])
                else:
                    cursor.execute(_NEXT_SEQ_FOR_AGENT, [chat_id, chat_id, agent.pk, monitor, agent.pk, chat_id])
                row = cursor.fetchone()
            if row is None:
                refusal = _why_not_postable(chat_id=chat_id, agent=agent, monitor=monitor)
                resent = (
                    None
                    if refusal.code == ErrorCode.NOT_FOUND
                    else _resent_message(chat_id, client_id, sender_kind, agent)
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
                internal=internal,
                created_at=timezone.now(),
            )
            # The visitor's seq counts only what they see (docs/protocol.md); a note has none.
            visitor_seq = None if internal else row[0] - row[1]
            publish_to_chat(chat_id, frames.message_frame(message), visitor_seq=visitor_seq)
            count_message_on_commit(sender_kind)
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
        raise DomainError(ErrorCode.CONFLICT, _("This client_id was already used by someone else in this chat."))
    return existing


def system_message_post(*, chat: Chat, body: str) -> Message:
    """A line the desk writes in the conversation (e.g. "Transferred from A to B"); it is part
    of the transcript like any other message."""
    message, _created = message_post(actor=SYSTEM, chat_id=chat.pk, body=body)
    return message


def _why_not_postable(*, chat_id: int, agent: Agent | None, monitor: bool = False) -> DomainError:
    if agent is not None:
        try:
            selectors.access_active_agent(agent)
        except DomainError as error:
            return error
    if agent is not None and not monitor and not selectors.chats_visible_to(agent).filter(pk=chat_id).exists():
        return DomainError(ErrorCode.NOT_FOUND, _("No such chat."))
    chat = Chat.objects.filter(pk=chat_id).only("status").first()
    if chat is None:
        return DomainError(ErrorCode.NOT_FOUND, _("No such chat."))
    if chat.status in Chat.CLOSED_STATUSES:
        return DomainError(ErrorCode.CHAT_CLOSED, _("This chat has ended."))
    if agent is not None and chat.status == Chat.Status.WAITING:
        return DomainError(ErrorCode.NOT_ALLOWED, _("Accept the chat before writing in it."))
    return DomainError(ErrorCode.NOT_ALLOWED, _("You do not take part in this chat."))
