"""A frame lost on its way (stored, never delivered) is fetched by `after_seq` on both sides as
soon as a later one shows the gap: agents over REST, visitors by reconnecting."""

import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from helpdesk.actors import ChatVisitor
from tests.factories import AgentFactory
from tests.support.browser import in_a_thread, sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lost_frame_is_fetched_on_both_sides(daphne_server, new_page, sales, published):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent = new_page()
    sign_in(agent, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Gap?")
    agent.get_by_role("button", name="Accept").click()
    visitor.get_by_label("Message").fill("one")
    visitor.get_by_label("Message").press("Enter")
    expect(agent.get_by_role("tabpanel").locator(".message")).to_have_count(1)

    # Stored, but their frames stay in this process (`published`): neither page hears of them.
    chat = Chat.objects.get()
    in_a_thread(
        services.message_post, actor=ChatVisitor(chat_id=chat.pk, name="Vera"), chat_id=chat.pk, body="lost two"
    )
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="lost three")
    assert published
    # The next live message reveals the gap on both sides.
    agent.get_by_role("tabpanel").get_by_label("Message").fill("four")
    agent.get_by_role("tabpanel").get_by_label("Message").press("Enter")
    for page in (agent, visitor):
        messages = page.locator(".conversation").last.locator(".message")
        expect(messages).to_have_count(4)
        for index, text in enumerate(["one", "lost two", "lost three", "four"]):
            expect(messages.nth(index)).to_contain_text(text)
    visitor.get_by_label("Message").fill("five")
    visitor.get_by_label("Message").press("Enter")
    expect(agent.get_by_role("tabpanel").locator(".message")).to_have_count(5)
    expect(visitor.locator(".conversation .message")).to_have_count(5)
