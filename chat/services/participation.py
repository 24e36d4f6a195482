"""Who is in a chat: joining, leaving, and the limits of the agents who would join."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import frames, selectors
from chat.models import Chat, ChatParticipant
from chat.services.checks import clean_id, clean_text, require_agent
from chat.services.messages import system_message_post
from chat.services.monitor import monitor_agents_changed, monitor_chat_changed
from chat.services.offers import offers_publish_for_agent
from helpdesk.actors import Actor
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import publish_to_agent, publish_to_chat
from helpdesk.platform.logs import log_chat_event

NOTE_MAX_CHARS = 1000


def clean_note(note) -> str:
    if note is None:
        return ""
    note = clean_text(note, field="note").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise DomainError(
            ErrorCode.INVALID,
            _("The message for the agent is at most %(max)s characters.") % {"max": NOTE_MAX_CHARS},
            field="note",
        )
    return note


def handover_expires_at() -> datetime:
    return timezone.now() + timedelta(seconds=settings.TRANSFER_TIMEOUT_SECONDS)


def lock_open_chat(*, agent: Agent, chat_id: int) -> Chat:
    """The chat, locked, if the agent may see it and it is still open."""
    selectors.access_chat(agent=agent, chat_id=clean_id(chat_id))
    chat = Chat.objects.select_for_update(of=("self",)).select_related("visitor", "department", "owner").get(pk=chat_id)
    if chat.status in Chat.CLOSED_STATUSES:
        raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat has ended."))
    return chat


def lock_handover(model, handover_id: int, *, related: tuple[str, ...], missing: str):
    """A transfer or invitation and its chat, both locked. The chat row always first, then the
    handover: ends, accepts and withdrawals of one chat then serialise without deadlocks."""
    handover_id = clean_id(handover_id)
    chat_id = model.objects.filter(pk=handover_id).values_list("chat_id", flat=True).first()
    if chat_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, missing)
    chat = Chat.objects.select_for_update(of=("self",)).select_related("visitor", "department", "owner").get(pk=chat_id)
    handover = model.objects.select_for_update(of=("self",)).select_related(*related).get(pk=handover_id)
    return chat, handover


def require_available(agent: Agent, *, field: str) -> Agent:
    """Precondition: `agent` row is locked. Another agent asked to join: Online, chat-enabled,
    not away (chat.selectors.chat_ready_q) and under their limit."""
    if not agent.chat_enabled:
        detail = _("%(name)s is not enabled for chat.") % {"name": agent.display_name}
        raise DomainError(ErrorCode.AGENT_UNAVAILABLE, detail, field=field)
    if agent.chat_status != Agent.ChatStatus.ONLINE:
        raise DomainError(
            ErrorCode.AGENT_UNAVAILABLE, _("%(name)s is Offline.") % {"name": agent.display_name}, field=field
        )
    if not Agent.objects.filter(selectors.chat_ready_q(), pk=agent.pk).exists():
        raise DomainError(
            ErrorCode.AGENT_UNAVAILABLE, _("%(name)s is away.") % {"name": agent.display_name}, field=field
        )
    if selectors.open_chat_count(agent) >= agent.max_concurrent_chats:
        detail = _("%(name)s has no room for another chat.") % {"name": agent.display_name}
        raise DomainError(ErrorCode.AGENT_UNAVAILABLE, detail, field=field)
    return agent


def join(chat: Chat, agent: Agent) -> None:
    """Make `agent` a current participant (again, if they had left)."""
    now = timezone.now()
    updated = ChatParticipant.objects.filter(chat=chat, agent=agent).update(left_at=None, left_seq=None, joined_at=now)
    if not updated:
        ChatParticipant.objects.create(chat=chat, agent=agent, joined_at=now)


def leave(chat: Chat, agent: Agent) -> None:
    """Precondition: `chat` is locked, so no message takes a seq between reading and recording it."""
    ChatParticipant.objects.filter(chat=chat, agent=agent, left_at__isnull=True).update(
        left_at=timezone.now(), left_seq=selectors.chat_last_seq(chat.pk)
    )


def chat_leave(*, actor: Actor, chat_id: int) -> Chat:
    """An invited agent leaves; the owner cannot (they transfer or end the chat)."""
    agent = require_agent(actor)
    with transaction.atomic():
        chat = lock_open_chat(agent=agent, chat_id=chat_id)
        if chat.owner_id == agent.pk:
            raise DomainError(
                ErrorCode.NOT_ALLOWED, _("The chat's owner cannot leave it: transfer it or end the session.")
            )
        if not selectors.is_participant(chat_id=chat.pk, agent_id=agent.pk):
            raise DomainError(ErrorCode.NOT_ALLOWED, _("You do not take part in this chat."))
        leave(chat, agent)
        system_message_post(chat=chat, body=f"{agent.display_name} left the chat")
        publish_to_chat(chat.pk, frames.participant_frame("participant.left", chat, agent))
        publish_to_agent(agent.pk, {}, event="chat.left", chat_id=chat.pk)
        offers_publish_for_agent(agent=agent)  # room for another chat again
        monitor_chat_changed(chat.pk)
        monitor_agents_changed(agent.pk)
        log_chat_event("chat.participant_left", chat_id=chat.pk, agent_id=agent.pk)
    return chat
