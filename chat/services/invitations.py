"""Invite other Agents: colleagues join the chat beside its owner.

As with transfers, the chat row is locked before the invitation, always in that order."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chat import frames, selectors
from chat.models import Chat, Invitation
from chat.services.checks import clean_id, lock_agent_with_room, require_agent
from chat.services.messages import system_message_post
from chat.services.monitor import monitor_agents_changed, monitor_chat_changed
from chat.services.participation import (
    clean_note,
    handover_expires_at,
    join,
    lock_handover,
    lock_open_chat,
    require_available,
)
from helpdesk.actors import Actor
from helpdesk.models import Agent
from helpdesk.platform.deadlines import is_due
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import publish_to_agent, publish_to_chat
from helpdesk.platform.logs import log_chat_event
from helpdesk.platform.scheduling import schedule_on_commit

EXPIRE_TASK = "chat.tasks.invitation_expire_when_due"
# Why an invitation can no longer be answered, by its status.
_ALREADY_ANSWERED = {
    Invitation.Status.ACCEPTED: gettext_noop("This invitation was already accepted."),
    Invitation.Status.DECLINED: gettext_noop("This invitation was already declined."),
    Invitation.Status.EXPIRED: gettext_noop("This invitation was already expired."),
    Invitation.Status.WITHDRAWN: gettext_noop("This invitation was already withdrawn."),
}


def invitations_create(*, actor: Actor, chat_id: int, invitee_ids: list, note="") -> list[Invitation]:
    """Invite agents to join the chat beside its owner. All or none: one unavailable invitee
    refuses the whole request."""
    agent = require_agent(actor)
    note = clean_note(note)
    if not isinstance(invitee_ids, list) or not invitee_ids:
        raise DomainError(ErrorCode.INVALID, _("Choose at least one agent to invite."), field="agents")
    invitee_ids = sorted({clean_id(value) for value in invitee_ids})  # sorted: a stable lock order
    with transaction.atomic():
        chat = lock_open_chat(agent=agent, chat_id=chat_id)
        if not selectors.is_participant(chat_id=chat.pk, agent_id=agent.pk):
            raise DomainError(ErrorCode.NOT_ALLOWED, _("Only agents in the chat can invite others."))
        invitees = list(Agent.objects.select_for_update().filter(pk__in=invitee_ids).order_by("pk"))
        if len(invitees) != len(invitee_ids):
            raise DomainError(ErrorCode.INVALID, _("No such agent."), field="agents")
        invitations = []
        for invitee in invitees:
            if invitee.pk == agent.pk or selectors.is_participant(chat_id=chat.pk, agent_id=invitee.pk):
                detail = _("%(name)s is already in this chat.") % {"name": invitee.display_name}
                raise DomainError(ErrorCode.INVALID, detail, field="agents")
            require_available(invitee, field="agents")
            if Invitation.objects.filter(chat=chat, invitee=invitee, status=Invitation.Status.PENDING).exists():
                detail = _("%(name)s is already invited.") % {"name": invitee.display_name}
                raise DomainError(ErrorCode.INVITATION_PENDING, detail, field="agents")
            invitations.append(
                Invitation.objects.create(
                    chat=chat, inviter=agent, invitee=invitee, note=note, expires_at=handover_expires_at()
                )
            )
        for invitation in invitations:
            requested = frames.invitation_frame("invitation.requested", invitation)
            publish_to_agent(invitation.invitee_id, requested)
            publish_to_agent(agent.pk, requested)  # the inviter's other screens
            schedule_on_commit(EXPIRE_TASK, invitation.pk, invitation.expires_at.isoformat(), eta=invitation.expires_at)
    return invitations


def _lock_pending(invitation_id: int, invitee: Agent | None) -> tuple[Chat, Invitation]:
    """The chat and the pending invitation, locked; addressed to `invitee` unless None (timers)."""
    chat, invitation = lock_handover(
        Invitation, invitation_id, related=("inviter", "invitee"), missing=_("No such invitation.")
    )
    if invitee is not None and invitation.invitee_id != invitee.pk:
        raise DomainError(ErrorCode.NOT_FOUND, _("No such invitation."))
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError(ErrorCode.INVITATION_CLOSED, _(_ALREADY_ANSWERED[invitation.status]))
    if invitee is not None and is_due(invitation.expires_at):  # the expiry task will record it
        raise DomainError(ErrorCode.INVITATION_CLOSED, _("This invitation has expired."))
    return chat, invitation


def invitation_accept(*, actor: Actor, invitation_id: int) -> Invitation:
    """The invitee joins: they get the whole history and can write; the owner stays owner."""
    agent = require_agent(actor)
    with transaction.atomic():
        chat, invitation = _lock_pending(invitation_id, agent)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat has ended."))
        agent = lock_agent_with_room(agent)
        invitation.status = Invitation.Status.ACCEPTED
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["status", "decided_at"])
        join(chat, agent)
        system_message_post(
            chat=chat, body=f"{agent.display_name} joined the chat (invited by {invitation.inviter.display_name})"
        )
        publish_to_chat(chat.pk, frames.participant_frame("participant.joined", chat, agent))
        accepted = frames.invitation_frame("invitation.accepted", invitation)
        publish_to_agent(invitation.inviter_id, accepted)
        publish_to_agent(agent.pk, accepted, event="chat.joined", chat_id=chat.pk)
        monitor_chat_changed(chat.pk)
        monitor_agents_changed(agent.pk)
        log_chat_event("chat.participant_joined", chat_id=chat.pk, agent_id=agent.pk, invitation_id=invitation.pk)
    return invitation


def invitation_decline(*, actor: Actor, invitation_id: int) -> Invitation:
    agent = require_agent(actor)
    with transaction.atomic():
        _chat, invitation = _lock_pending(invitation_id, agent)
        return _close(invitation, Invitation.Status.DECLINED, "invitation.declined")


def invitation_expire_when_due(*, invitation_id: int, scheduled_for: datetime | None = None) -> Invitation | None:
    """Unanswered within TRANSFER_TIMEOUT_SECONDS: reported to the inviter. Safe to rerun."""
    with transaction.atomic():
        try:
            _chat, invitation = _lock_pending(invitation_id, None)
        except DomainError:
            return None
        if not is_due(invitation.expires_at, scheduled_for=scheduled_for, timer="invitation_expiry"):
            return None
        return _close(invitation, Invitation.Status.EXPIRED, "invitation.expired")


def _close(invitation: Invitation, status: str, event: str) -> Invitation:
    invitation.status = status
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    frame = frames.invitation_frame(event, invitation)
    publish_to_agent(invitation.inviter_id, frame)
    publish_to_agent(invitation.invitee_id, frame)
    return invitation


def invitations_lapse_for_closed_chat(chat: Chat) -> None:
    """Precondition: `chat` is locked and just closed. Pending invitations lapse; the invitees
    are told so their popups go away."""
    for invitation in Invitation.objects.select_for_update().filter(chat=chat, status=Invitation.Status.PENDING):
        _close(invitation, Invitation.Status.EXPIRED, "invitation.expired")
