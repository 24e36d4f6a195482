"""A second department's world (chats in every state, tickets, handovers, a canned message)
that an agent of the first must not reach, and visitor text carrying script payloads."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission

from canned.models import CannedMessage
from chat import services, services_handover
from chat.models import Chat, Invitation, Message, Transfer
from helpdesk.models import Agent
from tests.factories import AgentFactory, CannedMessageFactory, ChatFactory, VisitorFactory, accepted_chat
from tickets.models import Ticket

# Each payload would run script if it reached the page as markup.
SCRIPT = "<script>window.__xss = 1; alert('xss')</script>"
IMG = "<img src=x onerror=\"window.__xss = 1; alert('xss')\">"
PAYLOADS = {
    "name": f"Mallory {IMG}",
    "email": 'mallory"><svg onload=alert(1)>@example.org',
    "question": f"Help {SCRIPT} me",
    "message": f"hi {IMG} {SCRIPT}",
    "page_url": 'https://shop.example/p?q="><script>alert(1)</script>',
}
RAW_MARKERS = ["<script>window.__xss", "<img src=x onerror", "<svg onload"]  # must never appear unescaped


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
            chat_id=chat.pk,
            body=text.get("message", "secret of support"),
            client_id=None,
            sender_kind=Message.SenderKind.VISITOR,
            sender_name=chat.visitor.name,
        )
        return chat

    active, active2, ended = active_chat(), active_chat(), active_chat()
    services.chat_end(chat_id=ended.pk, agent=bob)
    missed = ChatFactory(department=department, visitor=visitor(), **chat_fields)
    services.chat_visitor_leave(chat=missed)
    return Department2(
        bob=bob,
        carol=carol,
        active=active,
        active2=active2,
        waiting=ChatFactory(department=department, visitor=visitor(), **chat_fields),
        transcript=Ticket.objects.get(source_chat=ended),
        missed=Ticket.objects.get(source_chat=missed),
        transfer=services_handover.transfer_request(chat_id=active.pk, agent=bob, to_agent_id=carol.pk),
        invitation=services_handover.invitations_create(chat_id=active2.pk, agent=bob, invitee_ids=[carol.pk])[0],
        canned=CannedMessageFactory(department=department, text="Support-only answer"),
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every agent here gets a password; the default hasher would make these tests slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def outsider(sales):
    """An agent of Sales with every canned permission, so refusals come from the department rule."""
    agent = AgentFactory(display_name="Alice", departments=[sales])
    agent.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="canned"))
    return agent


@pytest.fixture
def support_world(support):
    return build_department(support)


@pytest.fixture
def hostile_world(support):
    return build_department(support, visitor_text=PAYLOADS)
