"""Every change of a ticket's state.

Each service takes the acting principal as `actor`, checks what it may do and names entries and
history after it: an agent changes the tickets they can see (tickets.selectors.tickets_visible_to),
and one they cannot see is not_found. The system writes the tickets of finished chats; the admin's
bulk close reaches every ticket (tickets_close). A visitor's offline message (no actor: anyone may
leave one, as anyone may start a chat) becomes a Missed Chats ticket, or joins the ticket of their
own missed chat."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.actors import System, require_permission
from helpdesk.models import Agent, Department
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.webhooks.services import webhooks_enqueue
from tickets import selectors
from tickets.models import ThreadEntry, Ticket, TicketChange

logger = logging.getLogger(__name__)
ENTRY_MAX_CHARS = 10000


def initial_status(*, kind: str, department: Department | None) -> str:
    """The status a chat's ticket starts in: a transcript of a chat an agent answered and ended
    starts in its department's `answered_ticket_status` (Closed unless a manager chose another;
    a chat without a department takes that default); a missed chat (not answered, abandoned by
    its visitor, or left as an offline message) starts Open, since somebody still has to answer it."""
    if kind != Ticket.Kind.CHAT_TRANSCRIPT:
        return Ticket.Status.OPEN
    if department is None:
        return Department._meta.get_field("answered_ticket_status").default
    return department.answered_ticket_status


def ticket_create_from_chat(*, chat, kind: str) -> Ticket:
    """Write the ticket for a finished chat: its question as the subject, the visitor as the
    requester and the question followed by the whole conversation as the thread, in the status
    initial_status gives. The system does this (chat.services.ending), for any chat: an answered
    chat that ended is a `chat_transcript`, a missed or abandoned one a `missed_chat`.

    Call inside the transaction that closes the chat; the one-to-one `source_chat` makes a
    second ticket for the same chat impossible.
    """
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=_subject(chat.question),
            requester_name=chat.visitor.name,
            requester_email=chat.visitor.email,
            department=chat.department,
            channel=Ticket.Channel.CHAT,
            kind=kind,
            status=initial_status(kind=kind, department=chat.department),
            source_chat=chat,
            assignee=chat.owner,
        )
        entries = [
            ThreadEntry(
                ticket=ticket,
                position=0,
                author_kind=ThreadEntry.AuthorKind.VISITOR,
                author_name=chat.visitor.name,
                body=chat.question,
                created_at=chat.started_at,
            )
        ]
        entries += [
            ThreadEntry(
                ticket=ticket,
                position=message.seq,
                # An internal note of the chat stays internal: agents only, like a comment.
                kind=ThreadEntry.Kind.COMMENT if message.internal else ThreadEntry.Kind.TRANSCRIPT,
                author_kind=message.sender_kind,
                author_name=message.sender_name,
                body=message.body,
                created_at=message.created_at,
            )
            for message in chat.messages.order_by("seq")
        ]
        ThreadEntry.objects.bulk_create(entries)
        ticket.search_text = "\n".join(entry.body for entry in entries)
        ticket.save(update_fields=["search_text"])
        ticket.agents.set(chat.participants.all())
        webhooks_enqueue("ticket.created", ticket_event_data(ticket))
    return ticket


def ticket_event_data(ticket: Ticket) -> dict:
    """The ticket as webhooks describe it (ticket.created / ticket.updated)."""
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "view": ticket.get_kind_display(),
        "requester": {"name": ticket.requester_name, "email": ticket.requester_email},
        "department": ticket.department.slug if ticket.department else None,
        "assignee": {"id": ticket.assignee.pk, "name": ticket.assignee.display_name} if ticket.assignee else None,
        "chat_id": ticket.source_chat_id,
    }


def _subject(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= 255 else line[:254] + "…"


def ticket_create_offline_message(*, name: str, email: str, question: str, department: Department | None) -> Ticket:
    """A message a visitor left with the offline message form while nobody could answer: a
    ticket in Missed Chats (kind missed_chat, channel offline_message) with the question as its
    subject and first thread entry, and the `ticket.created` webhook, in one transaction; after
    it commits, a confirmation e-mail to the visitor.

    Anyone may leave one (no actor): the caller has validated the input and rate-limited it as
    for starting a chat (chat/api/offline_messages.py)."""
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=_subject(question),
            requester_name=name,
            requester_email=email,
            department=department,
            channel=Ticket.Channel.OFFLINE_MESSAGE,
            kind=Ticket.Kind.MISSED_CHAT,
            status=initial_status(kind=Ticket.Kind.MISSED_CHAT, department=department),
            search_text=question,
        )
        ThreadEntry.objects.create(
            ticket=ticket,
            position=0,
            author_kind=ThreadEntry.AuthorKind.VISITOR,
            author_name=name,
            body=question,
            created_at=now,
        )
        webhooks_enqueue("ticket.created", ticket_event_data(ticket))
        _confirm_offline_message_on_commit(ticket, question=question, received_at=now)
    return ticket


def ticket_add_offline_message(*, chat, question: str) -> Ticket:
    """The visitor of a missed chat left a message with the offline message form: it goes on the
    chat's own Missed Chats ticket as the visitor's next thread entry (a chat is a ticket once),
    and a confirmation e-mail goes to the ticket's requester after commit. A ticket closed or on
    hold meanwhile is opened again (`ticket.updated`); no `ticket.created`: the ticket was
    announced when the chat was missed.

    The caller (chat.services.offline) has checked the visitor's token and that the chat is
    missed, so its ticket exists."""
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("department").get(source_chat=chat.pk)
        last = ticket.thread.aggregate(last=Max("position"))["last"]
        ThreadEntry.objects.create(
            ticket=ticket,
            position=(last or 0) + 1,
            author_kind=ThreadEntry.AuthorKind.VISITOR,
            author_name=ticket.requester_name,
            body=question,
            created_at=now,
        )
        ticket.search_text = f"{ticket.search_text}\n{question}" if ticket.search_text else question
        ticket.save(update_fields=["search_text"])  # not updated_at: it moves for status and assignee
        # A new question on a ticket an agent already closed (or put on hold): open it again, so
        # the agents see it; the history says the system did.
        _change(ticket, by=None, status=Ticket.Status.OPEN)
        _confirm_offline_message_on_commit(ticket, question=question, received_at=now)
    return ticket


def _confirm_offline_message_on_commit(ticket: Ticket, *, question: str, received_at) -> None:
    """After commit, tell the requester (plain text and HTML, through Django's e-mail backend)
    that their message arrived. A mail that cannot be sent is logged: the ticket stands, and the
    agents answer it by e-mail anyway."""
    context = {
        "name": ticket.requester_name,
        "email": ticket.requester_email,
        "department": ticket.department.name if ticket.department else "",
        "question": question,
        "ticket_id": ticket.pk,
        "received_at": received_at,
    }
    message = EmailMultiAlternatives(
        subject=_("We received your message: %(question)s [#%(ticket_id)s]")
        % {"question": _subject(question)[:80], "ticket_id": ticket.pk},
        body=render_to_string("email/offline_message.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[ticket.requester_email],
    )
    message.attach_alternative(render_to_string("email/offline_message.html", context), "text/html")

    def send() -> None:
        try:
            message.send()
        except Exception:
            logger.exception("confirmation of offline message on ticket %s not sent", ticket.pk)

    transaction.on_commit(send)


def _lock(ticket_id: int, *, visible_to: Agent | None) -> Ticket:
    """The ticket, locked (SELECT FOR UPDATE) for the caller's transaction; not_found where the
    agent `visible_to` may not see it (None: any ticket)."""
    tickets = Ticket.objects.all() if visible_to is None else selectors.tickets_visible_to(visible_to)
    return selectors.ticket_or_not_found(tickets.select_for_update(of=("self",)).select_related("assignee"), ticket_id)


def ticket_update(
    *, actor: Agent, ticket_id: int, status: str | None = None, assignee: Agent | None = None, assign: bool = False
) -> Ticket:
    """Change status and/or assignee (`assign=True` with `assignee=None` unassigns); every real
    change is written to the ticket's history as the actor's."""
    if status is not None and status not in Ticket.Status.values:
        raise DomainError(ErrorCode.INVALID, _("Status must be Open, On Hold or Closed."), field="status")
    with transaction.atomic():
        ticket = _lock(ticket_id, visible_to=actor)
        return _change(ticket, by=actor, status=status, assignee=assignee, assign=assign)


BULK_MAX_TICKETS = 100


def _clean_ticket_ids(ticket_ids) -> list[int]:
    if not isinstance(ticket_ids, (list, tuple)) or not ticket_ids:
        raise DomainError(ErrorCode.INVALID, _("Select at least one ticket."), field="ids")
    if len(ticket_ids) > BULK_MAX_TICKETS:
        detail = _("At most %(max)s tickets at a time.") % {"max": BULK_MAX_TICKETS}
        raise DomainError(ErrorCode.INVALID, detail, field="ids")
    if any(isinstance(value, bool) or not isinstance(value, int) or value < 1 for value in ticket_ids):
        raise DomainError(ErrorCode.INVALID, _("Ticket ids must be positive whole numbers."), field="ids")
    return sorted(set(ticket_ids))  # one order, so that two bulk updates cannot deadlock


def tickets_bulk_update(
    *,
    actor: Agent,
    ticket_ids: list[int],
    status: str | None = None,
    assignee: Agent | None = None,
    assign: bool = False,
) -> int:
    """Change status and/or assignee of several tickets at once (the Tickets list's Close, Reopen
    and Assign to…, POST /api/v1/tickets/bulk/); returns how many tickets changed (those already
    so are left alone and not counted).

    Each ticket is checked and recorded as ticket_update does it: the actor changes only tickets
    they can see, and every real change is written to that ticket's history as theirs, with its
    `ticket.updated` webhook. All or nothing: one ticket that does not exist or that the actor may
    not see (not_found), or an assignee whose account is disabled (invalid), changes none.
    Neither a status nor an assignee: the tickets are checked and none changes (0)."""
    ticket_ids = _clean_ticket_ids(ticket_ids)
    if status is not None and status not in Ticket.Status.values:
        raise DomainError(ErrorCode.INVALID, _("Status must be Open, On Hold or Closed."), field="status")
    changed = 0
    with transaction.atomic():
        for ticket_id in ticket_ids:
            try:
                ticket = _lock(ticket_id, visible_to=actor)
            except DomainError as error:  # say which, as the others stay unchanged
                detail = _("No such ticket: #%(id)s.") % {"id": ticket_id}
                raise DomainError(error.code, detail, field="ids") from error
            before = (ticket.status, ticket.assignee_id)
            _change(ticket, by=actor, status=status, assignee=assignee, assign=assign)
            changed += (ticket.status, ticket.assignee_id) != before
    return changed


def tickets_close(*, actor: Agent | System, ticket_ids: list[int]) -> int:
    """Close tickets in bulk, as managers do from the admin; returns how many were selected.

    The admin lists every department's tickets and Django's admin permissions decide who gets
    there, so this reaches any ticket: for the system (an admin user without an agent profile)
    or an agent holding `tickets.change_ticket` (managers, superusers); any other agent is
    not_allowed. The history names the agent."""
    require_permission(actor, "tickets.change_ticket", _("You may not change tickets."))
    by = actor if isinstance(actor, Agent) else None
    with transaction.atomic():
        for ticket_id in sorted(ticket_ids):  # one order, so that two bulk closes cannot deadlock
            _change(_lock(ticket_id, visible_to=None), by=by, status=Ticket.Status.CLOSED)
    return len(ticket_ids)


def _change(
    ticket: Ticket, *, by: Agent | None, status: str | None = None, assignee: Agent | None = None, assign: bool = False
) -> Ticket:
    """Precondition: `ticket` is locked and `status` one of Ticket.Status."""
    changes = []
    if status is not None and status != ticket.status:
        changes.append((TicketChange.Field.STATUS, ticket.get_status_display(), Ticket.Status(status).label))
        ticket.status = status
    if assign and assignee != ticket.assignee:
        if assignee is not None and not assignee.user.is_active:
            raise DomainError(ErrorCode.INVALID, _("That agent's account is disabled."), field="assignee")
        changes.append((TicketChange.Field.ASSIGNEE, str(ticket.assignee or ""), str(assignee or "")))
        ticket.assignee = assignee
    if changes:
        ticket.save(update_fields=["status", "assignee", "updated_at"])
        TicketChange.objects.bulk_create(
            TicketChange(ticket=ticket, field=field, old_value=old, new_value=new, changed_by=by)
            for field, old, new in changes
        )
        data = ticket_event_data(ticket)
        data["changes"] = [{"field": field, "from": old, "to": new} for field, old, new in changes]
        webhooks_enqueue("ticket.updated", data)
    return ticket


def _clean_entry_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise DomainError(ErrorCode.INVALID, _("Write something first."), field="body")
    if "\x00" in body or len(body) > ENTRY_MAX_CHARS:
        detail = _("At most %(max)s characters of text.") % {"max": ENTRY_MAX_CHARS}
        raise DomainError(ErrorCode.INVALID, detail, field="body")
    return body.strip()


def _append_entry(ticket: Ticket, *, kind: str, body: str, by: Agent) -> ThreadEntry:
    """Precondition: `ticket` is locked, so positions are handed out one at a time."""
    last = ticket.thread.aggregate(last=Max("position"))["last"]
    return ThreadEntry.objects.create(
        ticket=ticket,
        position=(last or 0) + 1,
        kind=kind,
        author_kind=ThreadEntry.AuthorKind.AGENT,
        author_name=by.display_name,
        body=body,
        created_at=timezone.now(),
    )


def ticket_record_event(*, ticket_id: int, body: str) -> ThreadEntry:
    """Something that happened to the ticket, written by the system on its thread (e.g. "Transcript
    e-mailed to vera@example.org"); agents see it, the requester does not."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        last = ticket.thread.aggregate(last=Max("position"))["last"]
        return ThreadEntry.objects.create(
            ticket=ticket,
            position=(last or 0) + 1,
            kind=ThreadEntry.Kind.EVENT,
            author_kind=ThreadEntry.AuthorKind.SYSTEM,
            author_name="System",
            body=body,
            created_at=timezone.now(),
        )


def ticket_comment_add(*, actor: Agent, ticket_id: int, body: str) -> ThreadEntry:
    """An internal comment by the actor: agents see it, the requester never does."""
    body = _clean_entry_body(body)
    with transaction.atomic():
        ticket = _lock(ticket_id, visible_to=actor)
        return _append_entry(ticket, kind=ThreadEntry.Kind.COMMENT, body=body, by=actor)


def ticket_reply_by_email(*, actor: Agent, ticket_id: int, body: str, status: str | None = None) -> ThreadEntry:
    """Answer a missed chat by e-mail (Django's e-mail backend) and record the reply on the thread;
    with `status`, set the ticket's status in the same step (recorded in its history as
    ticket_update records it).

    The mail is sent inside the transaction, after the entry and the status are written: if
    sending fails both are rolled back, so the thread never shows a reply that did not go out
    and the status does not change without it.
    """
    body = _clean_entry_body(body)
    if status is not None and status not in Ticket.Status.values:
        raise DomainError(ErrorCode.INVALID, _("Status must be Open, On Hold or Closed."), field="status")
    with transaction.atomic():
        ticket = _lock(ticket_id, visible_to=actor)
        if ticket.kind != Ticket.Kind.MISSED_CHAT:
            raise DomainError(ErrorCode.NOT_ALLOWED, _("Replies by e-mail are for missed chats."))
        entry = _append_entry(ticket, kind=ThreadEntry.Kind.REPLY, body=body, by=actor)
        if status is not None:
            _change(ticket, by=actor, status=status)
        try:
            send_mail(
                subject=f"Re: {ticket.subject} [#{ticket.pk}]",
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[ticket.requester_email],
            )
        except Exception as error:
            logger.exception("reply to ticket %s not sent", ticket.pk)
            raise DomainError(ErrorCode.EMAIL_FAILED, _("The e-mail could not be sent; try again later.")) from error
    return entry
