"""Every change of a ticket's state."""

from django.db import transaction

from tickets.models import ThreadEntry, Ticket


def ticket_create_from_chat(*, chat, kind: str) -> Ticket:
    """Write the ticket for a finished chat: its question as the subject, the visitor as the
    requester and the question followed by the whole conversation as the thread.

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
                author_kind=message.sender_kind,
                author_name=message.sender_name,
                body=message.body,
                created_at=message.created_at,
            )
            for message in chat.messages.order_by("seq")
        ]
        ThreadEntry.objects.bulk_create(entries)
        ticket.agents.set(chat.participants.all())
    return ticket


def _subject(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= 255 else line[:254] + "…"
