"""Offering waiting chats to agents, and the accept race."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import frames, selectors
from chat.models import Chat, ChatParticipant
from chat.services.checks import lock_agent_with_room, require_agent
from chat.services.monitor import monitor_agents_changed, monitor_chat_changed
from chat.services.queue import queue_changed
from chat.services.routing import offers_close_for_chat, offers_release_agent, offers_route_for_agent
from chat.services.staffing import staffing_agent_went_offline
from helpdesk.actors import Actor
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import publish_to_agent, publish_to_chat
from helpdesk.platform.logs import log_chat_event
from helpdesk.webhooks.services import webhooks_enqueue


def chat_accept(*, actor: Actor, chat_id: int) -> Chat:
    """The agent takes a waiting chat. Of agents accepting at once exactly one wins: the
    status change is a single conditional UPDATE, so the database picks the winner."""
    agent = require_agent(actor)
    chat = selectors.access_chat(agent=agent, chat_id=chat_id)
    with transaction.atomic():
        agent = lock_agent_with_room(agent)
        take_waiting_chat(chat, agent)
    return chat


def take_waiting_chat(chat: Chat, agent: Agent) -> None:
    """`agent` (their row locked, their room checked) becomes the owner of the waiting `chat`,
    which is refreshed; DomainError if it no longer waits. Precondition: in a transaction."""
    now = timezone.now()
    won = Chat.objects.filter(pk=chat.pk, status=Chat.Status.WAITING).update(
        status=Chat.Status.ACTIVE, owner=agent, accepted_at=now
    )
    if not won:
        chat.refresh_from_db()
        if chat.status == Chat.Status.MISSED:
            raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat was missed and is now a ticket."))
        if chat.owner:
            detail = _("This chat was already accepted by %(name)s.") % {"name": chat.owner.display_name}
        else:
            detail = _("This chat was already accepted by another agent.")
        raise DomainError(ErrorCode.ALREADY_ACCEPTED, detail)
    chat.refresh_from_db()
    ChatParticipant.objects.create(chat=chat, agent=agent, joined_at=now)
    accepted = frames.accepted_frame(chat)
    publish_to_chat(chat.pk, accepted)
    # The winner's sockets join the chat on this event.
    publish_to_agent(agent.pk, accepted, event="chat.joined", chat_id=chat.pk)
    offers_close_for_chat(chat, accepted_by=agent)
    offers_withdraw(chat, reason="accepted", keep=agent)
    webhooks_enqueue("chat.accepted", frames.chat_event_data(chat))
    queue_changed(chat.department_id)  # the visitors waiting behind it move up
    monitor_chat_changed(chat.pk)
    monitor_agents_changed(agent.pk)
    log_chat_event("chat.accepted", chat_id=chat.pk, agent_id=agent.pk)


def offers_publish_for_agent(*, agent: Agent, withdraw: bool = False) -> None:
    """Put the waiting chats this agent can take on their screen (they came Online or have room
    again), or take them away (they went Offline: offers made to them alone move on)."""
    if withdraw:
        for chat in selectors.waiting_chats_in_reach(agent):
            publish_to_agent(agent.pk, frames.offer_withdrawn_frame(chat, reason="offline"))
        offers_release_agent(agent)
        return
    for chat in selectors.waiting_chats_for(agent).filter(selectors.BROADCAST):
        publish_to_agent(agent.pk, frames.offered_frame(chat, ring=agent.ringer))
    offers_route_for_agent(agent)  # one-at-a-time departments: their queue, oldest first


def offers_withdraw(chat: Chat, *, reason: str, keep: Agent | None = None) -> None:
    """Take the offer of `chat` off the screens it was shown on (but `keep`'s)."""
    withdrawn = frames.offer_withdrawn_frame(chat, reason=reason)
    offered = selectors.agents_offered_chat(chat)
    if keep is not None:
        offered = offered.exclude(pk=keep.pk)
    for agent_id in offered.values_list("pk", flat=True):
        publish_to_agent(agent_id, withdrawn)


def agent_update_chat_settings(*, actor: Actor, chat_status: str | None = None, ringer: bool | None = None) -> Agent:
    """Set the agent's chat status (Online/Offline) and ringer; only agents enabled for chat
    have them.

    Going Online brings the waiting chats the agent can take onto their screen; going
    Offline takes those offers away.
    """
    if not isinstance(actor, Agent):
        raise DomainError(ErrorCode.NOT_ALLOWED, _("Only agents have chat settings."))
    if not actor.chat_enabled:
        raise DomainError(ErrorCode.NOT_ALLOWED, _("You are not enabled for the chat channel."))
    return chat_settings_apply(agent_id=actor.pk, chat_status=chat_status, ringer=ringer)


def chat_settings_apply(*, agent_id: int, chat_status: str | None = None, ringer: bool | None = None) -> Agent:
    """Change an agent's chat status and ringer, with all that follows (offers shown or taken
    away, the unstaffed check, the agent's screens and the live monitor told). The caller has
    checked who may: the agent themselves (agent_update_chat_settings) or a manager
    (chat.services.supervision.agent_set_chat_status)."""
    if chat_status is not None and chat_status not in Agent.ChatStatus.values:
        raise DomainError(ErrorCode.INVALID, _("chat_status must be 'online' or 'offline'."))
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent_id)
        went_online = chat_status == Agent.ChatStatus.ONLINE and agent.chat_status != chat_status
        went_offline = chat_status == Agent.ChatStatus.OFFLINE and agent.chat_status != chat_status
        if chat_status is not None:
            agent.chat_status = chat_status
        if ringer is not None:
            agent.ringer = ringer
        agent.save(update_fields=["chat_status", "ringer"])
        publish_to_agent(agent.pk, frames.agent_status_frame(agent))
        if went_online or went_offline:
            offers_publish_for_agent(agent=agent, withdraw=went_offline)
            monitor_agents_changed(agent.pk)
        if went_offline:  # were they the last who could answer the waiting chats?
            staffing_agent_went_offline(agent)
    return agent
