"""The visitor of a chat nobody is answering leaves a message with the offline message form: it
joins their chat's Missed Chats ticket, so the chat is a ticket exactly once. (A message left
without a chat is a ticket of its own: tickets.services.ticket_create_offline_message.)"""

from django.db import transaction
from django.utils.translation import gettext as _

from chat.models import Chat
from chat.services.checks import clean_id, lock_chat, require_visitor_of
from chat.services.ending import chat_end
from helpdesk.actors import Actor, ChatVisitor
from helpdesk.platform.errors import DomainError, ErrorCode
from tickets.models import Ticket
from tickets.services import ticket_add_offline_message


def chat_leave_offline_message(*, actor: Actor, chat_id: int, question: str) -> Ticket:
    """Add the visitor's message (validated by the caller) to the ticket of their missed chat and
    return that ticket. A chat still waiting is given up first, as the visitor ending it would
    (chat_end: missed, its ticket written, agents' offers withdrawn); a chat an agent is answering
    is `conflict`, one that ended after an answer `chat_closed`."""
    chat_id = clean_id(chat_id)
    if not isinstance(actor, ChatVisitor):
        raise DomainError(ErrorCode.NOT_ALLOWED, _("Only the chat's visitor can leave a message on it."))
    require_visitor_of(actor, chat_id)
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status == Chat.Status.WAITING:
            chat = chat_end(actor=actor, chat_id=chat_id)
        elif chat.status in Chat.OPEN_STATUSES:
            raise DomainError(ErrorCode.CONFLICT, _("An agent is answering this chat; write to them there."))
        elif chat.status == Chat.Status.ENDED:
            raise DomainError(
                ErrorCode.CHAT_CLOSED,
                _("This chat has already ended; send the message without chat_id for a new ticket."),
            )
        return ticket_add_offline_message(chat=chat, question=question)
