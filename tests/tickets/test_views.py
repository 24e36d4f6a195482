import pytest
from django.core import mail
from django.test import Client

from chat import services as chat_services
from helpdesk.actors import ChatVisitor
from tests.factories import ChatFactory, accepted_chat
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(agent):
    client = Client()
    client.force_login(agent.user)
    return client


def test_list_shows_views_with_counts_and_searches(client, agent, sales):
    chat = accepted_chat(agent=agent, department=sales, question="Broken checkout")
    chat_services.chat_end(actor=agent, chat_id=chat.pk)
    unanswered = ChatFactory(department=sales, question="Norway shipping?")
    chat_services.chat_end(actor=ChatVisitor.of(unanswered), chat_id=unanswered.pk)
    html = client.get("/tickets/").content.decode()
    for label in ("All Tickets", "Open", "My Tickets", "Chat Transcripts", "Missed Chats", "Broken checkout"):
        assert label in html
    missed = client.get("/tickets/?view=missed-chats").content.decode()
    assert "Norway shipping?" in missed and "Broken checkout" not in missed
    found = client.get("/tickets/?q=checkout").content.decode()
    assert "Broken checkout" in found and "Norway shipping?" not in found
    assert client.get("/tickets/?view=nope").status_code == 404


def test_detail_updates_comments_and_replies(client, agent, sales):
    chat = ChatFactory(department=sales, question="Norway shipping?")
    chat_services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    ticket = Ticket.objects.get(source_chat=chat)
    url = f"/tickets/{ticket.pk}/"
    page = client.get(url).content.decode()
    assert "Reply by e-mail" in page and "Internal comment" in page
    client.post(url, {"action": "update", "status": "closed", "assignee": agent.pk})
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.assignee == agent
    assert TicketChange.objects.filter(ticket=ticket).count() == 2
    client.post(url, {"action": "comment", "comment-body": "<b>checked stock</b>"})
    client.post(url, {"action": "reply", "reply-body": "Yes we do."})
    assert len(mail.outbox) == 1
    page = client.get(url).content.decode()
    assert "&lt;b&gt;checked stock&lt;/b&gt;" in page and "Yes we do." in page
    assert "changed status from “Open” to “Closed”" in page
