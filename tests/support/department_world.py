"""A second department's world (chats in every state, tickets, handovers, a canned message)
that an agent of the first must not reach."""

from dataclasses import dataclass

from django.contrib.auth.models import Permission

from canned.models import CannedMessage
from chat import services
from chat.models import Chat, Invitation, Message, Transfer
from helpdesk.actors import ChatVisitor
from helpdesk.models import Agent
from tests.factories import AgentFactory, CannedMessageFactory, ChatFactory, VisitorFactory, accepted_chat
from tickets.models import Ticket


@dataclass
class Department2:
    """What belongs to department B (Support): `bob` owns its chats, `carol` is his colleague."""

    bob: Agent
    carol: Agent
    active: Chat
    active2: Chat
    waiting: Chat
    transcript: Ticket
    missed: Ticket
    transfer: Transfer
    invitation: Invitation
    canned: CannedMessage

    def state(self) -> tuple:
        """Everything an outsider's request could change."""
        return (
            list(Chat.objects.order_by("pk").values_list("pk", "status", "owner_id", "department_id", "ends_at")),
            Message.objects.count(),
            list(Ticket.objects.order_by("pk").values_list("pk", "status", "assignee_id")),
            list(Ticket.objects.order_by("pk").values_list("thread__pk")),
            list(Transfer.objects.values_list("pk", "status")),
            list(Invitation.objects.values_list("pk", "status")),
            list(CannedMessage.objects.order_by("pk").values_list("pk", "text", "department_id")),
        )


def build_department(department, *, visitor_text: dict | None = None) -> Department2:
    """Department `department`'s chats in every state; with `visitor_text`, the visitors' name,
    e-mail, question, messages and page URL are taken from it."""
    text = visitor_text or {}

    def visitor():
        return VisitorFactory(**{k: text[k] for k in ("name", "email") if k in text})

    chat_fields = {k: text[k] for k in ("question", "page_url") if k in text}
    bob = AgentFactory(display_name="Bob", departments=[department])
    bob.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="canned"))
    carol = AgentFactory(display_name="Carol", departments=[department])

    def active_chat():
        chat = accepted_chat(agent=bob, department=department, visitor=visitor(), **chat_fields)
        services.message_post(
            actor=ChatVisitor(chat_id=chat.pk, name=chat.visitor.name),
            chat_id=chat.pk,
            body=text.get("message", "secret of support"),
            client_id=None,
        )
        return chat

    active, active2, ended = active_chat(), active_chat(), active_chat()
    services.chat_end(actor=bob, chat_id=ended.pk)
    missed = ChatFactory(department=department, visitor=visitor(), **chat_fields)
    services.chat_end(actor=ChatVisitor.of(missed), chat_id=missed.pk)
    return Department2(
        bob=bob,
        carol=carol,
        active=active,
        active2=active2,
        waiting=ChatFactory(department=department, visitor=visitor(), **chat_fields),
        transcript=Ticket.objects.get(source_chat=ended),
        missed=Ticket.objects.get(source_chat=missed),
        transfer=services.transfer_request(actor=bob, chat_id=active.pk, to_agent_id=carol.pk),
        invitation=services.invitations_create(actor=bob, chat_id=active2.pk, invitee_ids=[carol.pk])[0],
        canned=CannedMessageFactory(department=department, text="Support-only answer"),
    )
