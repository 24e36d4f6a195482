"""What a manager does from the live monitor (chat.monitor_chats): set an agent's chat status
(Offline, when they left without), and give a chat to another agent.

Reassigning takes effect at once, with no answer asked of the agent (a manager decides; the
agent must be available: Online, present and with room):
- an open chat (active or ending) moves as a transfer from its owner that the new agent accepted
  (chat.services.transfers.transfer_reassign): the same frames, and "Transferred from A to B by
  <manager>" in the conversation;
- a waiting chat is taken by the new agent as if they had accepted it (chat_accept's
  take_waiting_chat: the same frames, offers withdrawn, queue moved up), and "Assigned to B by
  <manager>" goes into the conversation.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from chat import selectors
from chat.models import Chat
from chat.services.checks import clean_id
from chat.services.messages import system_message_post
from chat.services.offers import chat_settings_apply, take_waiting_chat
from chat.services.participation import require_available
from chat.services.transfers import transfer_reassign
from helpdesk.actors import Actor, System, require_permission
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError, ErrorCode


def _require_monitor(actor: Actor) -> str:
    """The acting manager's name; refused unless they may use the live monitor."""
    require_permission(actor, selectors.MONITOR_PERMISSION, _("You may not use the live monitor."))
    if isinstance(actor, Agent):
        selectors.access_active_agent(actor)
        return actor.display_name
    return actor.name if isinstance(actor, System) else str(actor)


def _agent(agent_id, *, field: str | None = None, lock: bool = False) -> Agent:
    agents = Agent.objects.select_for_update() if lock else Agent.objects
    agent = agents.filter(pk=clean_id(agent_id), user__is_active=True).first()
    if agent is None:
        raise DomainError(ErrorCode.NOT_FOUND if field is None else ErrorCode.INVALID, _("No such agent."), field=field)
    return agent


def agent_set_chat_status(*, actor: Actor, agent_id: int, chat_status: str) -> Agent:
    """A manager sets an agent Online or Offline, with everything the agent doing it themselves
    sets off (offers taken away, their waiting chats missed if nobody else is left, their
    screens told by `agent.status`)."""
    _require_monitor(actor)
    agent = _agent(agent_id)
    if not agent.chat_enabled:
        detail = _("%(name)s is not enabled for chat.") % {"name": agent.display_name}
        raise DomainError(ErrorCode.INVALID, detail, field="chat_status")
    return chat_settings_apply(agent_id=agent.pk, chat_status=chat_status)


def chat_reassign(*, actor: Actor, chat_id: int, to_agent_id: int) -> Chat:
    """A manager gives a waiting or open chat to another available agent, at once (see above)."""
    by = _require_monitor(actor)
    chat_id = clean_id(chat_id)
    to_agent_id = clean_id(to_agent_id)
    status = Chat.objects.filter(pk=chat_id).values_list("status", flat=True).first()
    if status is None:
        raise DomainError(ErrorCode.NOT_FOUND, _("No such chat."))
    if status in Chat.CLOSED_STATUSES:
        raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat has ended."))
    with transaction.atomic():
        if status == Chat.Status.WAITING:
            # Agent first, then the chat: the order chat_accept locks in.
            to_agent = require_available(_agent(to_agent_id, field="agent", lock=True), field="agent")
            chat = Chat.objects.select_related("visitor", "department", "owner").get(pk=chat_id)
            take_waiting_chat(chat, to_agent)
            system_message_post(chat=chat, body=f"Assigned to {to_agent.display_name} by {by}")
            return chat
        # The chat first, then the agent: the order transfer_accept locks in.
        chat = (
            Chat.objects.select_for_update(of=("self",))
            .select_related("visitor", "department", "owner")
            .filter(pk=chat_id)
            .first()
        )
        if chat is None:
            raise DomainError(ErrorCode.NOT_FOUND, _("No such chat."))
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat has ended."))
        if chat.owner is None:  # its owner's agent profile was deleted
            raise DomainError(ErrorCode.CONFLICT, _("This chat has no owner to take it from."))
        to_agent = _agent(to_agent_id, field="agent", lock=True)
        if to_agent.pk == chat.owner_id:
            detail = _("%(name)s already has this chat.") % {"name": to_agent.display_name}
            raise DomainError(ErrorCode.INVALID, detail, field="agent")
        if selectors.is_participant(chat_id=chat.pk, agent_id=to_agent.pk):
            if not to_agent.chat_enabled:  # already in it: no room needed, as for transfer_accept
                detail = _("%(name)s is not enabled for chat.") % {"name": to_agent.display_name}
                raise DomainError(ErrorCode.AGENT_UNAVAILABLE, detail, field="agent")
        else:
            require_available(to_agent, field="agent")
        transfer_reassign(chat=chat, to_agent=to_agent, by=by)
        return chat
