"""Handing a chat to colleagues: Transfer this Chat, Invite other Agents, leaving a chat.

Every function runs in one transaction. Where two things race (accept vs withdraw, accept vs
end, two transfers of one chat) the chat row is locked first, then the transfer or invitation,
always in that order, so they serialise without deadlocks.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat import frames, selectors
from chat.models import Chat, ChatParticipant, Invitation, Transfer
from chat.services import _schedule_on_commit, clean_id, clean_text, offers_publish_for_agent, system_message_post
from helpdesk.errors import DomainError
from helpdesk.events import publish_to_agent, publish_to_chat
from helpdesk.models import Agent, Department

NOTE_MAX_CHARS = 1000


def _clean_note(note) -> str:
    if note is None:
        return ""
    note = clean_text(note, field="note").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise DomainError("invalid", f"The message for the agent is at most {NOTE_MAX_CHARS} characters.", field="note")
    return note


def _lock_open_chat(*, agent: Agent, chat_id: int) -> Chat:
    """The chat, locked, if the agent may see it and it is still open."""
    selectors.access_active_agent(agent)
    selectors.access_chat(agent=agent, chat_id=clean_id(chat_id))
    chat = Chat.objects.select_for_update(of=("self",)).select_related("visitor", "department", "owner").get(pk=chat_id)
    if chat.status in Chat.CLOSED_STATUSES:
        raise DomainError("chat_closed", "This chat has ended.")
    return chat


def _require_available(agent: Agent, *, field: str) -> Agent:
    """Precondition: `agent` row is locked. Online, chat-enabled and under their limit."""
    if not agent.chat_enabled:
        raise DomainError("agent_unavailable", f"{agent.display_name} is not enabled for chat.", field=field)
    if agent.chat_status != Agent.ChatStatus.ONLINE:
        raise DomainError("agent_unavailable", f"{agent.display_name} is Offline.", field=field)
    if selectors.open_chat_count(agent) >= agent.max_concurrent_chats:
        raise DomainError("agent_unavailable", f"{agent.display_name} has no room for another chat.", field=field)
    return agent


def _expires_at():
    return timezone.now() + timedelta(seconds=settings.TRANSFER_TIMEOUT_SECONDS)


def _join(chat: Chat, agent: Agent) -> None:
    """Make `agent` a current participant (again, if they had left)."""
    now = timezone.now()
    updated = ChatParticipant.objects.filter(chat=chat, agent=agent).update(left_at=None, left_seq=None, joined_at=now)
    if not updated:
        ChatParticipant.objects.create(chat=chat, agent=agent, joined_at=now)


def _leave(chat: Chat, agent: Agent) -> None:
    """Precondition: `chat` is locked, so no message takes a seq between reading and recording it."""
    ChatParticipant.objects.filter(chat=chat, agent=agent, left_at__isnull=True).update(
        left_at=timezone.now(), left_seq=selectors.chat_last_seq(chat.pk)
    )


# Transfer this Chat ------------------------------------------------------------------------------


def transfer_request(
    *, chat_id: int, agent: Agent, to_agent_id: int, department: Department | None = None, note=""
) -> Transfer:
    """The chat's owner asks another agent (of `department`, for a department transfer) to take
    the chat over. It changes hands only when they accept."""
    from chat.tasks import transfer_expire_when_due

    note = _clean_note(note)
    to_agent_id = clean_id(to_agent_id)
    with transaction.atomic():
        chat = _lock_open_chat(agent=agent, chat_id=chat_id)
        if chat.owner_id != agent.pk:
            raise DomainError("not_allowed", "Only the chat's owner can transfer it.")
        if to_agent_id == agent.pk:
            raise DomainError("invalid", "Choose another agent.", field="agent")
        to_agent = Agent.objects.select_for_update().filter(pk=to_agent_id).first()
        if to_agent is None:
            raise DomainError("invalid", "No such agent.", field="agent")
        if department is not None and not to_agent.departments.filter(pk=department.pk).exists():
            raise DomainError("invalid", f"{to_agent.display_name} is not in {department.name}.", field="agent")
        _require_available(to_agent, field="agent")
        if Transfer.objects.filter(chat=chat, status=Transfer.Status.PENDING).exists():
            raise DomainError("transfer_pending", "This chat already has a transfer waiting for an answer.")
        try:
            with transaction.atomic():
                transfer = Transfer.objects.create(
                    chat=chat,
                    from_agent=agent,
                    to_agent=to_agent,
                    to_department=department,
                    note=note,
                    expires_at=_expires_at(),
                )
        except IntegrityError as error:  # the one-pending-transfer constraint
            raise DomainError("transfer_pending", "This chat already has a transfer waiting for an answer.") from error
        frame = frames.transfer_frame("transfer.requested", transfer)
        publish_to_agent(to_agent.pk, frame)
        publish_to_agent(agent.pk, frame)
        _schedule_on_commit(transfer_expire_when_due, transfer.pk, eta=transfer.expires_at)
    return transfer


def _lock_pending_transfer(transfer_id: int) -> tuple[Chat, Transfer]:
    transfer_id = clean_id(transfer_id)
    chat_id = Transfer.objects.filter(pk=transfer_id).values_list("chat_id", flat=True).first()
    if chat_id is None:
        raise DomainError("not_found", "No such transfer.")
    chat = Chat.objects.select_for_update(of=("self",)).select_related("visitor", "department", "owner").get(pk=chat_id)
    transfer = (
        Transfer.objects.select_for_update(of=("self",)).select_related("from_agent", "to_agent").get(pk=transfer_id)
    )
    return chat, transfer


def _require_pending(transfer: Transfer) -> None:
    if transfer.status != Transfer.Status.PENDING:
        raise DomainError("transfer_closed", f"This transfer was already {transfer.get_status_display().lower()}.")
    if transfer.expires_at <= timezone.now():  # the expiry task will record it
        raise DomainError("transfer_closed", "This transfer has expired.")


def transfer_accept(*, transfer_id: int, agent: Agent) -> Transfer:
    """The receiving agent takes the chat: owner (and department) change, the previous owner
    leaves, and the conversation records it."""
    selectors.access_active_agent(agent)
    with transaction.atomic():
        chat, transfer = _lock_pending_transfer(transfer_id)
        if transfer.to_agent_id != agent.pk:
            raise DomainError("not_found", "No such transfer.")
        _require_pending(transfer)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError("chat_closed", "This chat has ended.")
        agent = Agent.objects.select_for_update().get(pk=agent.pk)
        if not agent.chat_enabled:
            raise DomainError("not_allowed", "You are not enabled for chat.")
        if selectors.open_chat_count(agent) >= agent.max_concurrent_chats and not selectors.is_participant(
            chat_id=chat.pk, agent_id=agent.pk
        ):
            raise DomainError("chat_limit_reached", "You already have as many chats as your limit allows.")
        previous = transfer.from_agent
        chat.owner = agent
        if transfer.to_department_id:
            chat.department_id = transfer.to_department_id
        chat.save(update_fields=["owner", "department"])
        _leave(chat, previous)
        _join(chat, agent)
        transfer.status = Transfer.Status.ACCEPTED
        transfer.decided_at = timezone.now()
        transfer.save(update_fields=["status", "decided_at"])
        system_message_post(chat=chat, body=f"Transferred from {previous.display_name} to {agent.display_name}")
        # The visitor, the previous owner and other participants; the note is not the visitor's.
        publish_to_chat(chat.pk, frames.transfer_frame("transfer.accepted", transfer, for_visitor=True))
        publish_to_agent(previous.pk, {}, event="chat.left", chat_id=chat.pk)
        accepted = frames.transfer_frame("transfer.accepted", transfer)
        publish_to_agent(agent.pk, accepted, event="chat.joined", chat_id=chat.pk)
        offers_publish_for_agent(agent=previous)  # room for another chat again
    return transfer


def transfer_decline(*, transfer_id: int, agent: Agent) -> Transfer:
    return _finish_transfer(transfer_id, agent, Transfer.Status.DECLINED, "transfer.declined", "to_agent")


def transfer_withdraw(*, transfer_id: int, agent: Agent) -> Transfer:
    return _finish_transfer(transfer_id, agent, Transfer.Status.WITHDRAWN, "transfer.withdrawn", "from_agent")


def _finish_transfer(transfer_id: int, agent: Agent, status: str, event: str, actor: str) -> Transfer:
    selectors.access_active_agent(agent)
    with transaction.atomic():
        _chat, transfer = _lock_pending_transfer(transfer_id)
        if getattr(transfer, f"{actor}_id") != agent.pk:
            raise DomainError("not_found", "No such transfer.")
        _require_pending(transfer)
        transfer.status = status
        transfer.decided_at = timezone.now()
        transfer.save(update_fields=["status", "decided_at"])
        frame = frames.transfer_frame(event, transfer)
        publish_to_agent(transfer.from_agent_id, frame)
        publish_to_agent(transfer.to_agent_id, frame)
    return transfer


def transfer_expire_when_due(*, transfer_id: int) -> Transfer | None:
    """Unanswered within TRANSFER_TIMEOUT_SECONDS: the transfer lapses and the original agent
    keeps the chat. Safe to run any number of times."""
    with transaction.atomic():
        try:
            _chat, transfer = _lock_pending_transfer(transfer_id)
        except DomainError:
            return None
        if transfer.status != Transfer.Status.PENDING or transfer.expires_at > timezone.now() + timedelta(seconds=0.5):
            return None
        transfer.status = Transfer.Status.EXPIRED
        transfer.decided_at = timezone.now()
        transfer.save(update_fields=["status", "decided_at"])
        frame = frames.transfer_frame("transfer.expired", transfer)
        publish_to_agent(transfer.from_agent_id, frame)
        publish_to_agent(transfer.to_agent_id, frame)
    return transfer


# Invite other Agents ------------------------------------------------------------------------------


def invitations_create(*, chat_id: int, agent: Agent, invitee_ids: list, note="") -> list[Invitation]:
    """Invite agents to join the chat beside its owner. All or none: one unavailable invitee
    refuses the whole request."""
    from chat.tasks import invitation_expire_when_due

    note = _clean_note(note)
    if not isinstance(invitee_ids, list) or not invitee_ids:
        raise DomainError("invalid", "Choose at least one agent to invite.", field="agents")
    invitee_ids = sorted({clean_id(value) for value in invitee_ids})  # sorted: a stable lock order
    with transaction.atomic():
        chat = _lock_open_chat(agent=agent, chat_id=chat_id)
        if not selectors.is_participant(chat_id=chat.pk, agent_id=agent.pk):
            raise DomainError("not_allowed", "Only agents in the chat can invite others.")
        invitees = list(Agent.objects.select_for_update().filter(pk__in=invitee_ids).order_by("pk"))
        if len(invitees) != len(invitee_ids):
            raise DomainError("invalid", "No such agent.", field="agents")
        invitations = []
        for invitee in invitees:
            if invitee.pk == agent.pk or selectors.is_participant(chat_id=chat.pk, agent_id=invitee.pk):
                raise DomainError("invalid", f"{invitee.display_name} is already in this chat.", field="agents")
            _require_available(invitee, field="agents")
            if Invitation.objects.filter(chat=chat, invitee=invitee, status=Invitation.Status.PENDING).exists():
                raise DomainError("invitation_pending", f"{invitee.display_name} is already invited.", field="agents")
            invitations.append(
                Invitation.objects.create(
                    chat=chat, inviter=agent, invitee=invitee, note=note, expires_at=_expires_at()
                )
            )
        for invitation in invitations:
            requested = frames.invitation_frame("invitation.requested", invitation)
            publish_to_agent(invitation.invitee_id, requested)
            publish_to_agent(agent.pk, requested)  # the inviter's other screens
            _schedule_on_commit(invitation_expire_when_due, invitation.pk, eta=invitation.expires_at)
    return invitations


def _lock_pending_invitation(invitation_id: int, agent: Agent) -> tuple[Chat, Invitation]:
    invitation_id = clean_id(invitation_id)
    chat_id = Invitation.objects.filter(pk=invitation_id).values_list("chat_id", flat=True).first()
    if chat_id is None:
        raise DomainError("not_found", "No such invitation.")
    chat = Chat.objects.select_for_update(of=("self",)).select_related("visitor", "department", "owner").get(pk=chat_id)
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("inviter", "invitee").get(pk=invitation_id)
    )
    if agent is not None and invitation.invitee_id != agent.pk:
        raise DomainError("not_found", "No such invitation.")
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError(
            "invitation_closed", f"This invitation was already {invitation.get_status_display().lower()}."
        )
    if agent is not None and invitation.expires_at <= timezone.now():  # the expiry task will record it
        raise DomainError("invitation_closed", "This invitation has expired.")
    return chat, invitation


def invitation_accept(*, invitation_id: int, agent: Agent) -> Invitation:
    """The invitee joins: they get the whole history and can write; the owner stays owner."""
    selectors.access_active_agent(agent)
    with transaction.atomic():
        chat, invitation = _lock_pending_invitation(invitation_id, agent)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError("chat_closed", "This chat has ended.")
        agent = Agent.objects.select_for_update().get(pk=agent.pk)
        if not agent.chat_enabled:
            raise DomainError("not_allowed", "You are not enabled for chat.")
        if selectors.open_chat_count(agent) >= agent.max_concurrent_chats:
            raise DomainError("chat_limit_reached", "You already have as many chats as your limit allows.")
        invitation.status = Invitation.Status.ACCEPTED
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["status", "decided_at"])
        _join(chat, agent)
        system_message_post(
            chat=chat, body=f"{agent.display_name} joined the chat (invited by {invitation.inviter.display_name})"
        )
        publish_to_chat(chat.pk, frames.participant_frame("participant.joined", chat, agent))
        accepted = frames.invitation_frame("invitation.accepted", invitation)
        publish_to_agent(invitation.inviter_id, accepted)
        publish_to_agent(agent.pk, accepted, event="chat.joined", chat_id=chat.pk)
    return invitation


def invitation_decline(*, invitation_id: int, agent: Agent) -> Invitation:
    selectors.access_active_agent(agent)
    with transaction.atomic():
        _chat, invitation = _lock_pending_invitation(invitation_id, agent)
        return _close_invitation(invitation, Invitation.Status.DECLINED, "invitation.declined")


def invitation_expire_when_due(*, invitation_id: int) -> Invitation | None:
    """Unanswered within TRANSFER_TIMEOUT_SECONDS: reported to the inviter. Safe to rerun."""
    with transaction.atomic():
        try:
            _chat, invitation = _lock_pending_invitation(invitation_id, None)
        except DomainError:
            return None
        if invitation.expires_at > timezone.now() + timedelta(seconds=0.5):
            return None
        return _close_invitation(invitation, Invitation.Status.EXPIRED, "invitation.expired")


def _close_invitation(invitation: Invitation, status: str, event: str) -> Invitation:
    invitation.status = status
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    frame = frames.invitation_frame(event, invitation)
    publish_to_agent(invitation.inviter_id, frame)
    publish_to_agent(invitation.invitee_id, frame)
    return invitation


def chat_leave(*, chat_id: int, agent: Agent) -> Chat:
    """An invited agent leaves; the owner cannot (they transfer or end the chat)."""
    with transaction.atomic():
        chat = _lock_open_chat(agent=agent, chat_id=chat_id)
        if chat.owner_id == agent.pk:
            raise DomainError("not_allowed", "The chat's owner cannot leave it: transfer it or end the session.")
        if not selectors.is_participant(chat_id=chat.pk, agent_id=agent.pk):
            raise DomainError("not_allowed", "You do not take part in this chat.")
        _leave(chat, agent)
        system_message_post(chat=chat, body=f"{agent.display_name} left the chat")
        publish_to_chat(chat.pk, frames.participant_frame("participant.left", chat, agent))
        publish_to_agent(agent.pk, {}, event="chat.left", chat_id=chat.pk)
        offers_publish_for_agent(agent=agent)  # room for another chat again
    return chat


def handovers_cancel_for_closed_chat(chat: Chat) -> None:
    """Precondition: `chat` is locked and just closed. Pending transfers and invitations lapse;
    their recipients are told so their popups go away."""
    now = timezone.now()
    for transfer in Transfer.objects.select_for_update().filter(chat=chat, status=Transfer.Status.PENDING):
        transfer.status, transfer.decided_at = Transfer.Status.EXPIRED, now
        transfer.save(update_fields=["status", "decided_at"])
        frame = frames.transfer_frame("transfer.expired", transfer)
        publish_to_agent(transfer.from_agent_id, frame)
        publish_to_agent(transfer.to_agent_id, frame)
    for invitation in Invitation.objects.select_for_update().filter(chat=chat, status=Invitation.Status.PENDING):
        _close_invitation(invitation, Invitation.Status.EXPIRED, "invitation.expired")
