"""Transfer this Chat: the owner hands the chat to another agent, who accepts or declines.

Where two things race (accept vs withdraw, accept vs end, two transfers of one chat) the chat
row is locked first, then the transfer, always in that order, so they serialise without
deadlocks."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chat import frames
from chat.models import Chat, Transfer
from chat.services.checks import clean_id, lock_agent_with_room, require_agent
from chat.services.messages import system_message_post
from chat.services.monitor import monitor_agents_changed, monitor_chat_changed
from chat.services.offers import offers_publish_for_agent
from chat.services.participation import (
    clean_note,
    handover_expires_at,
    join,
    leave,
    lock_handover,
    lock_open_chat,
    require_available,
)
from helpdesk.actors import Actor
from helpdesk.models import Agent, Department
from helpdesk.platform.deadlines import is_due
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import publish_to_agent, publish_to_chat
from helpdesk.platform.logs import log_chat_event
from helpdesk.platform.scheduling import schedule_on_commit

EXPIRE_TASK = "chat.tasks.transfer_expire_when_due"
# Why a transfer can no longer be answered, by its status.
_ALREADY_ANSWERED = {
    Transfer.Status.ACCEPTED: gettext_noop("This transfer was already accepted."),
    Transfer.Status.DECLINED: gettext_noop("This transfer was already declined."),
    Transfer.Status.EXPIRED: gettext_noop("This transfer was already expired."),
    Transfer.Status.WITHDRAWN: gettext_noop("This transfer was already withdrawn."),
}


def transfer_request(
    *, actor: Actor, chat_id: int, to_agent_id: int, department: Department | None = None, note=""
) -> Transfer:
    """The chat's owner asks another agent (of `department`, for a department transfer) to take
    the chat over. It changes hands only when they accept."""
    agent = require_agent(actor)
    note = clean_note(note)
    to_agent_id = clean_id(to_agent_id)
    with transaction.atomic():
        chat = lock_open_chat(agent=agent, chat_id=chat_id)
        if chat.owner_id != agent.pk:
            raise DomainError(ErrorCode.NOT_ALLOWED, _("Only the chat's owner can transfer it."))
        if to_agent_id == agent.pk:
            raise DomainError(ErrorCode.INVALID, _("Choose another agent."), field="agent")
        to_agent = Agent.objects.select_for_update().filter(pk=to_agent_id).first()
        if to_agent is None:
            raise DomainError(ErrorCode.INVALID, _("No such agent."), field="agent")
        if department is not None and not to_agent.departments.filter(pk=department.pk).exists():
            detail = _("%(name)s is not in %(department)s.") % {
                "name": to_agent.display_name,
                "department": department.name,
            }
            raise DomainError(ErrorCode.INVALID, detail, field="agent")
        require_available(to_agent, field="agent")
        if Transfer.objects.filter(chat=chat, status=Transfer.Status.PENDING).exists():
            raise DomainError(ErrorCode.TRANSFER_PENDING, _("This chat already has a transfer waiting for an answer."))
        try:
            with transaction.atomic():
                transfer = Transfer.objects.create(
                    chat=chat,
                    from_agent=agent,
                    to_agent=to_agent,
                    to_department=department,
                    note=note,
                    expires_at=handover_expires_at(),
                )
        except IntegrityError as error:  # the one-pending-transfer constraint
            raise DomainError(
                ErrorCode.TRANSFER_PENDING, _("This chat already has a transfer waiting for an answer.")
            ) from error
        frame = frames.transfer_frame("transfer.requested", transfer)
        publish_to_agent(to_agent.pk, frame)
        publish_to_agent(agent.pk, frame)
        schedule_on_commit(EXPIRE_TASK, transfer.pk, transfer.expires_at.isoformat(), eta=transfer.expires_at)
    return transfer


def _lock_transfer(transfer_id: int) -> tuple[Chat, Transfer]:
    return lock_handover(Transfer, transfer_id, related=("from_agent", "to_agent"), missing=_("No such transfer."))


def _require_pending(transfer: Transfer) -> None:
    if transfer.status != Transfer.Status.PENDING:
        raise DomainError(ErrorCode.TRANSFER_CLOSED, _(_ALREADY_ANSWERED[transfer.status]))
    if is_due(transfer.expires_at):  # the expiry task will record it
        raise DomainError(ErrorCode.TRANSFER_CLOSED, _("This transfer has expired."))


def transfer_accept(*, actor: Actor, transfer_id: int) -> Transfer:
    """The receiving agent takes the chat: owner (and department) change, the previous owner
    leaves, and the conversation records it."""
    agent = require_agent(actor)
    with transaction.atomic():
        chat, transfer = _lock_transfer(transfer_id)
        if transfer.to_agent_id != agent.pk:
            raise DomainError(ErrorCode.NOT_FOUND, _("No such transfer."))
        _require_pending(transfer)
        if chat.status in Chat.CLOSED_STATUSES:
            raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat has ended."))
        agent = lock_agent_with_room(agent, joining=chat)
        previous = transfer.from_agent
        _hand_over(chat, transfer, agent, record=f"Transferred from {previous.display_name} to {agent.display_name}")
    return transfer


def transfer_reassign(*, chat: Chat, to_agent: Agent, by: str) -> Transfer:
    """A manager moves the open `chat` to `to_agent` at once (chat.services.supervision): recorded
    as a transfer from its owner that `to_agent` accepted, and in the conversation as a transfer
    is, with who did it. A transfer still waiting for an answer is withdrawn first.

    Precondition: in a transaction, `chat` locked (open, with an owner), then `to_agent` locked
    and checked: the order transfer_accept locks in."""
    for pending in Transfer.objects.select_for_update().filter(chat=chat, status=Transfer.Status.PENDING):
        _close(pending, Transfer.Status.WITHDRAWN, "transfer.withdrawn")
    previous = chat.owner
    now = timezone.now()
    transfer = Transfer.objects.create(
        chat=chat,
        from_agent=previous,
        to_agent=to_agent,
        note=f"Reassigned by {by}",
        status=Transfer.Status.PENDING,
        expires_at=now,
    )
    record = f"Transferred from {previous.display_name} to {to_agent.display_name} by {by}"
    _hand_over(chat, transfer, to_agent, record=record)
    return transfer


def _hand_over(chat: Chat, transfer: Transfer, agent: Agent, *, record: str) -> None:
    """The chat changes hands as `transfer` says, which is accepted now; `record` goes into the
    conversation. Precondition: the chat, the transfer and `agent` are locked."""
    previous = transfer.from_agent
    chat.owner = agent
    if transfer.to_department_id:
        chat.department_id = transfer.to_department_id
    chat.save(update_fields=["owner", "department"])
    leave(chat, previous)
    join(chat, agent)
    transfer.status = Transfer.Status.ACCEPTED
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "decided_at"])
    system_message_post(chat=chat, body=record)
    # The visitor, the previous owner and other participants; the note is not the visitor's.
    publish_to_chat(chat.pk, frames.transfer_frame("transfer.accepted", transfer, for_visitor=True))
    publish_to_agent(previous.pk, {}, event="chat.left", chat_id=chat.pk)
    accepted = frames.transfer_frame("transfer.accepted", transfer)
    publish_to_agent(agent.pk, accepted, event="chat.joined", chat_id=chat.pk)
    offers_publish_for_agent(agent=previous)  # room for another chat again
    monitor_chat_changed(chat.pk)
    monitor_agents_changed(previous.pk, agent.pk)
    log_chat_event(
        "chat.transferred", chat_id=chat.pk, agent_id=agent.pk, from_agent_id=previous.pk, transfer_id=transfer.pk
    )


def transfer_decline(*, actor: Actor, transfer_id: int) -> Transfer:
    return _finish(actor, transfer_id, Transfer.Status.DECLINED, "transfer.declined", party="to_agent")


def transfer_withdraw(*, actor: Actor, transfer_id: int) -> Transfer:
    return _finish(actor, transfer_id, Transfer.Status.WITHDRAWN, "transfer.withdrawn", party="from_agent")


def _finish(actor: Actor, transfer_id: int, status: str, event: str, *, party: str) -> Transfer:
    agent = require_agent(actor)
    with transaction.atomic():
        _chat, transfer = _lock_transfer(transfer_id)
        if getattr(transfer, f"{party}_id") != agent.pk:
            raise DomainError(ErrorCode.NOT_FOUND, _("No such transfer."))
        _require_pending(transfer)
        _close(transfer, status, event)
    return transfer


def _close(transfer: Transfer, status: str, event: str) -> None:
    transfer.status = status
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "decided_at"])
    frame = frames.transfer_frame(event, transfer)
    publish_to_agent(transfer.from_agent_id, frame)
    publish_to_agent(transfer.to_agent_id, frame)


def transfer_expire_when_due(*, transfer_id: int, scheduled_for: datetime | None = None) -> Transfer | None:
    """Unanswered within TRANSFER_TIMEOUT_SECONDS: the transfer lapses and the original agent
    keeps the chat. Safe to run any number of times."""
    with transaction.atomic():
        try:
            _chat, transfer = _lock_transfer(transfer_id)
        except DomainError:
            return None
        if transfer.status != Transfer.Status.PENDING or not is_due(
            transfer.expires_at, scheduled_for=scheduled_for, timer="transfer_expiry"
        ):
            return None
        _close(transfer, Transfer.Status.EXPIRED, "transfer.expired")
    return transfer


def transfers_lapse_for_closed_chat(chat: Chat) -> None:
    """Precondition: `chat` is locked and just closed. Its pending transfer lapses; the
    recipient is told so the popup goes away."""
    for transfer in Transfer.objects.select_for_update().filter(chat=chat, status=Transfer.Status.PENDING):
        _close(transfer, Transfer.Status.EXPIRED, "transfer.expired")
