import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat, Message
from helpdesk.actors import ChatVisitor
from tests.factories import AgentFactory
from tests.support.browser import in_a_thread, sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)


def test_server_restart_shows_reconnecting_and_loses_nothing(daphne_server, new_page, sales, published):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent = new_page()
    sign_in(agent, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Still there?")
    agent.get_by_role("button", name="Accept").click()
    visitor.get_by_label("Message").fill("before")
    visitor.get_by_label("Message").press("Enter")
    expect(agent.get_by_role("tabpanel").locator(".message")).to_have_count(1)

    daphne_server.stop()
    expect(agent.get_by_text("Reconnecting…")).to_be_visible()
    expect(visitor.get_by_text("Reconnecting…")).to_be_visible()
    # Written while nobody is connected (what they publish stays in `published`): only the
    # database has them.
    chat = Chat.objects.get()
    visitor_actor = ChatVisitor(chat_id=chat.pk, name="Vera")
    in_a_thread(services.message_post, actor=visitor_actor, chat_id=chat.pk, body="while you were away")
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="agent reply")
    assert published  # kept in this process, not sent to Redis

    daphne_server.start()
    for page in (agent, visitor):
        expect(page.get_by_text("Reconnecting…")).to_be_hidden(timeout=15_000)
        conversation = page.locator(".conversation").last
        expect(conversation.locator(".message")).to_have_count(3)
        expect(conversation.locator(".message").nth(1)).to_contain_text("while you were away")
        expect(conversation.locator(".message").nth(2)).to_contain_text("agent reply")
    visitor.get_by_label("Message").fill("after")
    visitor.get_by_label("Message").press("Enter")
    expect(agent.get_by_role("tabpanel").locator(".message")).to_have_count(4)
    assert Message.objects.count() == 4
