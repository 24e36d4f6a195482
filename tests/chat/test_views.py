import pytest
from django.test import Client

from chat import services
from helpdesk.actors import ChatVisitor
from tests.factories import ChatFactory, UserFactory, accepted_chat

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_needs_sign_in_and_an_agent_profile(agent):
    assert Client().get("/agent/")["Location"].startswith("/accounts/login/")
    assert signed_in(UserFactory()).get("/agent/").status_code == 403
    page = signed_in(agent.user).get("/agent/")
    assert page.status_code == 200
    html = page.content.decode()
    for label in (
        "Chat Dashboard",
        "Visitor Info",
        "Recent Chats",
        "Recent Tickets",
        "End Session",
        "Online",
        "Offline",
    ):
        assert label in html


def test_dashboard_config_lists_the_agents_open_chats(agent):
    chat = accepted_chat(agent=agent)
    page = signed_in(agent.user).get("/agent/")
    assert page.context["config"]["openChatIds"] == [chat.pk]


def test_visitor_page_lists_departments_and_limits_framing(sales, support, settings):
    settings.WIDGET_ALLOWED_ORIGINS = ["https://shop.example"]
    page = Client().get("/chat/?department=support")
    html = page.content.decode()
    assert 'value="sales"' in html and '<option value="support" selected>' in html
    assert "frame-ancestors 'self' https://shop.example;" in page["Content-Security-Policy"] + ";"
    assert "X-Frame-Options" not in page


def test_demo_page_embeds_the_widget(db):
    html = Client().get("/demo/").content.decode()
    assert "chat/widget" in html and 'data-department="sales"' in html


def test_ticket_page_shows_the_transcript_as_text(sales, support, agent):
    chat = accepted_chat(agent=agent, department=sales, question="Broken <b>link</b>")
    services.message_post(
        actor=ChatVisitor(chat_id=chat.pk, name="V"), chat_id=chat.pk, body="<script>alert(1)</script>"
    )
    services.chat_end(actor=agent, chat_id=chat.pk)
    html = signed_in(agent.user).get(f"/tickets/{chat.ticket.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "Broken &lt;b&gt;link&lt;/b&gt;" in html
    other = ChatFactory(department=support)
    services.chat_end(actor=ChatVisitor.of(other), chat_id=other.pk)
    assert signed_in(agent.user).get(f"/tickets/{other.ticket.pk}/").status_code == 404
