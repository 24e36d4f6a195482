import pytest
from django.contrib.auth.models import Group
from django.test import Client

from chat import services
from chat.models import Chat
from tests.factories import ChatFactory, UserFactory, accepted_chat
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_end_active_chats_action_writes_transcripts(admin_client, agent):
    active = accepted_chat(agent=agent)
    waiting = ChatFactory()
    response = admin_client.post(
        "/admin/chat/chat/", {"action": "end_chats", "_selected_action": [active.pk, waiting.pk]}
    )
    assert response.status_code == 302
    active.refresh_from_db()
    waiting.refresh_from_db()
    assert active.status == Chat.Status.ENDED and Ticket.objects.filter(source_chat=active).exists()
    assert waiting.status == Chat.Status.WAITING  # only active chats are ended


def test_bulk_close_records_history(admin_client, agent, sales):
    sales.answered_ticket_status = "open"  # transcripts start Closed by default
    sales.save()
    chats = [accepted_chat(agent=agent, department=sales) for _ in range(2)]
    for chat in chats:
        services.chat_end(actor=agent, chat_id=chat.pk)
    ids = list(Ticket.objects.values_list("pk", flat=True))
    admin_client.post("/admin/tickets/ticket/", {"action": "close_tickets", "_selected_action": ids})
    assert set(Ticket.objects.values_list("status", flat=True)) == {"closed"}
    assert TicketChange.objects.filter(field="status", new_value="Closed").count() == 2


def test_manager_group_has_the_desks_permissions():
    managers = Group.objects.get(name="Managers")
    codenames = set(managers.permissions.values_list("codename", flat=True))
    assert {"change_agent", "add_department", "view_chat", "change_ticket", "delete_cannedmessage"} <= codenames


def test_admin_pages_render(admin_client, agent, sales):
    chat = accepted_chat(agent=agent, department=sales)
    services.chat_end(actor=agent, chat_id=chat.pk)
    for url in (
        "/admin/chat/chat/",
        f"/admin/chat/chat/{chat.pk}/change/",
        "/admin/tickets/ticket/?kind__exact=missed_chat",
        f"/admin/tickets/ticket/{chat.ticket.pk}/change/",
        "/admin/helpdesk/agent/",
        "/admin/canned/cannedmessage/",
    ):
        assert admin_client.get(url).status_code == 200, url
