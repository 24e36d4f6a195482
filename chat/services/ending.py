"""Ending a chat (now or at a stored moment) and missing one nobody answered: each closes the
chat, lapses its handovers and writes its ticket in one transaction.

A missed chat records why (`missed_reason`, sent as the `chat.missed` frame's `reason`):
"no_answer" when nobody accepted it within CHAT_MISSED_AFTER_SECONDS, "abandoned" when its
visitor ended it while it waited, "no_agents" when nobody was left who could take it
(chats_miss_unstaffed, chat/services/staffing.py)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import frames, selectors
from chat.models import Chat, ChatParticipant
from chat.services.checks import clean_id, lock_chat, require_agent, require_owner, require_visitor_of
from chat.services.invitations import invitations_lapse_for_closed_chat
from chat.services.messages import system_message_post
from chat.services.monitor import monitor_agents_changed, monitor_chat_changed
from chat.services.offers import offers_publish_for_agent, offers_withdraw
from chat.services.queue import queue_changed
from chat.services.routing import offers_close_for_chat
from chat.services.staffing import miss_when_unstaffed
from chat.services.transfers import transfers_lapse_for_closed_chat
from helpdesk.actors import Actor, ChatVisitor
from helpdesk.models import Agent
from helpdesk.platform.deadlines import is_due
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import publish_to_chat
from helpdesk.platform.logs import log_chat_event
from helpdesk.platform.scheduling import schedule_on_commit
from helpdesk.webhooks.services import webhooks_enqueue
from tickets.models import Ticket
from tickets.services import ticket_create_from_chat

END_TASK = "chat.tasks.chat_end_when_due"
VISITOR_LEFT = "Visitor left the chat"


def clean_delay(delay_seconds) -> int:
    if isinstance(delay_seconds, bool) or not isinstance(delay_seconds, int):
        raise DomainError(ErrorCode.INVALID, _("delay_seconds must be a whole number of seconds."))
    if not 0 <= delay_seconds <= settings.CHAT_MAX_END_DELAY_SECONDS:
        raise DomainError(
            ErrorCode.INVALID,
            _("delay_seconds must be between 0 and %(max)s.") % {"max": settings.CHAT_MAX_END_DELAY_SECONDS},
        )
    return delay_seconds


def chat_schedule_end(*, actor: Actor, chat_id: int, delay_seconds) -> Chat:
    """End the chat now (delay 0) or at a moment stored in `ends_at`. Scheduling again moves it."""
    delay_seconds = clean_delay(delay_seconds)
    chat_id = clean_id(chat_id)
    agent = require_agent(actor)
    selectors.access_chat(agent=agent, chat_id=chat_id)
    if delay_seconds == 0:
        return chat_end(actor=agent, chat_id=chat_id)
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat has already ended."))
        require_owner(chat, agent)
        chat.status = Chat.Status.ENDING
        chat.ends_at = timezone.now() + timedelta(seconds=delay_seconds)
        chat.save(update_fields=["status", "ends_at"])
        publish_to_chat(chat.pk, frames.ending_frame(chat))
        monitor_chat_changed(chat.pk)
        log_chat_event("chat.ending_scheduled", chat_id=chat.pk, agent_id=agent.pk, delay_seconds=delay_seconds)
        schedule_on_commit(END_TASK, chat.pk, chat.ends_at.isoformat(), eta=chat.ends_at)
    return chat


def chat_cancel_end(*, actor: Actor, chat_id: int) -> Chat:
    chat_id = clean_id(chat_id)
    agent = require_agent(actor)
    selectors.access_chat(agent=agent, chat_id=chat_id)
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat has already ended."))
        require_owner(chat, agent)
        if chat.status != Chat.Status.ENDING:
            raise DomainError(ErrorCode.NOT_ENDING, _("This chat has no scheduled end to cancel."))
        chat.status = Chat.Status.ACTIVE
        chat.ends_at = None
        chat.save(update_fields=["status", "ends_at"])
        publish_to_chat(chat.pk, frames.end_cancelled_frame(chat))
        monitor_chat_changed(chat.pk)
        log_chat_event("chat.end_cancelled", chat_id=chat.pk, agent_id=agent.pk)
    return chat


def chat_end(*, actor: Actor, chat_id: int) -> Chat:
    """End an open chat now and write its ticket; ending an ended chat changes nothing.

    The owner ends an active chat for everyone; the visitor ends their own chat at any time
    (a waiting one becomes a missed chat); the system (the admin, timers) ends any."""
    if isinstance(actor, Agent):
        require_agent(actor)
    elif isinstance(actor, ChatVisitor):
        require_visitor_of(actor, chat_id)
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status in Chat.CLOSED_STATUSES:
            return chat
        if chat.status == Chat.Status.WAITING:
            if isinstance(actor, Agent):
                raise DomainError(ErrorCode.NOT_ALLOWED, _("Accept the chat before ending it."))
            # The visitor left before anyone answered: abandoned. The system (the admin) ending a
            # waiting chat records that nobody answered it.
            abandoned = isinstance(actor, ChatVisitor)
            reason = Chat.MissedReason.ABANDONED if abandoned else Chat.MissedReason.NO_ANSWER
            _mark_missed(chat, reason=reason)
            queue_changed(chat.department_id)
            return chat
        if isinstance(actor, Agent):
            require_owner(chat, actor)
        if isinstance(actor, ChatVisitor):  # the agents' tabs and the transcript say why it ended
            system_message_post(chat=chat, body=VISITOR_LEFT)
        return _close(chat)


def _close(chat: Chat) -> Chat:
    """Precondition: `chat` is locked (SELECT FOR UPDATE) and active or ending."""
    chat.status = Chat.Status.ENDED
    chat.ended_at = timezone.now()
    chat.ends_at = None
    chat.save(update_fields=["status", "ended_at", "ends_at"])
    transfers_lapse_for_closed_chat(chat)
    invitations_lapse_for_closed_chat(chat)
    ticket = ticket_create_from_chat(chat=chat, kind=Ticket.Kind.CHAT_TRANSCRIPT)
    agents = list(Agent.objects.filter(chatparticipant__chat=chat, chatparticipant__left_at__isnull=True))
    ChatParticipant.objects.filter(chat=chat, left_at__isnull=True).update(
        left_at=chat.ended_at, left_seq=selectors.chat_last_seq(chat.pk)
    )
    publish_to_chat(chat.pk, frames.ended_frame(chat, ticket_id=ticket.pk), event="chat.closed")
    webhooks_enqueue("chat.ended", {**frames.chat_event_data(chat), "ticket_id": ticket.pk})
    monitor_chat_changed(chat.pk)
    monitor_agents_changed(*(agent.pk for agent in agents))
    log_chat_event("chat.ended", chat_id=chat.pk, agent_id=chat.owner_id, ticket_id=ticket.pk)
    for agent in agents:  # each now has room for another chat: offer what is waiting
        offers_publish_for_agent(agent=agent)
    return chat


def chat_end_when_due(*, chat_id: int, scheduled_for: datetime | None = None) -> Chat | None:
    """Run a scheduled end if it is still scheduled and due. Safe to run any number of times:
    after a cancel, a manual end or a reschedule to another moment it changes nothing.
    `scheduled_for` is the `ends_at` a countdown task was created for (see is_due); the sweep
    passes nothing and ends what is overdue."""
    with transaction.atomic():
        chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
        if chat is None or chat.status != Chat.Status.ENDING:
            return None
        if not is_due(chat.ends_at, scheduled_for=scheduled_for, timer="chat_end"):
            return None
        return _close(chat)


def chat_mark_missed_when_due(*, chat_id: int, scheduled_for: datetime | None = None) -> Chat | None:
    """Turn a chat nobody accepted into a Missed Chats ticket once its deadline has passed.
    Safe to run any number of times."""
    with transaction.atomic():
        chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
        if chat is None or chat.status != Chat.Status.WAITING:
            return None
        if not is_due(chat.missed_deadline, scheduled_for=scheduled_for, timer="chat_missed"):
            return None
        _mark_missed(chat, reason=Chat.MissedReason.NO_ANSWER)
        queue_changed(chat.department_id)
        return chat


def chats_miss_unstaffed(*, agent_id: int | None = None, left_at: datetime | None = None) -> list[int]:
    """Miss, with reason "no_agents", the waiting chats nobody can take any more; the ids of those
    missed. Safe to run any number of times, at once with itself and with accepts: each chat is
    locked and missed only while it still waits, and only while its department is still
    unstaffed (an agent back meanwhile keeps the rest). Off when CHAT_MISS_WHEN_UNSTAFFED is False.

    A waiting chat is missed when nobody could take it now (selectors.queue_staffed) and somebody
    could after it started: an Online agent of its department who is gone now was last present
    after its start (selectors.queue_last_staffed_at, from the connection rows), or `agent_id`,
    who went Offline at `left_at` (chat/services/staffing.py), is of its department (every agent
    can take the chats without one). A chat that started while nobody was there keeps waiting.
    """
    if not miss_when_unstaffed():
        return []
    left: dict[int | None, datetime] = {}
    if agent_id is not None and left_at is not None:
        agent = Agent.objects.filter(pk=agent_id).first()
        if agent is not None:  # a task about an agent deleted since changes nothing
            left = dict.fromkeys([*agent.departments.values_list("pk", flat=True), None], left_at)
    missed: list[int] = []
    for department_id in selectors.departments_with_waiting_chats():
        if selectors.queue_staffed(department_id):
            continue
        moments = [left.get(department_id), selectors.queue_last_staffed_at(department_id)]
        staffed_until = max((moment for moment in moments if moment is not None), default=None)
        if staffed_until is None:
            continue
        waiting = selectors.waiting_queue(department_id).filter(started_at__lt=staffed_until)
        missed_before = len(missed)
        for chat_id in list(waiting.values_list("pk", flat=True)):
            with transaction.atomic():
                chat = Chat.objects.select_for_update().filter(pk=chat_id, status=Chat.Status.WAITING).first()
                if chat is None:  # accepted, or missed by another run, meanwhile
                    continue
                if selectors.queue_staffed(department_id):
                    break  # somebody came back: the rest wait for them
                _mark_missed(chat, reason=Chat.MissedReason.NO_AGENTS)
            missed.append(chat_id)
        if len(missed) > missed_before:
            queue_changed(department_id)  # for the chats that started after the last agent left
    return missed


def _mark_missed(chat: Chat, *, reason: str) -> Chat:
    """Precondition: `chat` is locked (SELECT FOR UPDATE) and waiting. The caller tells the
    chat's queue (queue_changed)."""
    chat.status = Chat.Status.MISSED
    chat.missed_reason = reason
    chat.ended_at = timezone.now()
    chat.save(update_fields=["status", "missed_reason", "ended_at"])
    ticket = ticket_create_from_chat(chat=chat, kind=Ticket.Kind.MISSED_CHAT)
    publish_to_chat(chat.pk, frames.missed_frame(chat, ticket_id=ticket.pk), event="chat.closed")
    webhooks_enqueue("chat.missed", {**frames.chat_event_data(chat), "ticket_id": ticket.pk})
    monitor_chat_changed(chat.pk)
    offers_close_for_chat(chat)
    offers_withdraw(chat, reason="missed")
    log_chat_event("chat.missed", chat_id=chat.pk, reason=reason, ticket_id=ticket.pk)
    return chat
