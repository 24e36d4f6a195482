"""Issue 15: an agent writes an internal note in the Chat Dashboard; the visitor's page never
shows it, shows the message after it, and does not reconnect to fetch a gap (visitor frames are
numbered in the visitor's own sequence, which a note does not take part in)."""

import re

import pytest
from playwright.sync_api import expect

from chat.models import Message
from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_internal_note_never_reaches_the_visitor(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent = new_page()
    sign_in(agent, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    sockets = []
    visitor.on("websocket", lambda socket: sockets.append(socket.url))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Refund?")
    agent.get_by_role("button", name="Accept").click()
    expect(visitor.get_by_text("You are chatting with Alice Agent.")).to_be_visible()

    panel = agent.get_by_role("tabpanel")
    box = panel.get_by_label("Message")
    panel.get_by_label("Internal note").check()
    box.fill("Refund approved by finance")
    box.press("Enter")
    note = panel.locator(".message.internal")
    expect(note).to_contain_text("Refund approved by finance")
    expect(note).to_contain_text("Internal note — not sent to the visitor")

    panel.get_by_label("Internal note").uncheck()
    box.fill("Your refund is on its way")
    box.press("Enter")
    expect(visitor.locator(".message.agent")).to_have_text(re.compile("Your refund is on its way"))
    expect(panel.locator(".message")).to_have_count(2)
    expect(panel.locator(".message.internal")).to_have_count(1)

    visitor.get_by_label("Message").fill("Thank you")
    visitor.get_by_label("Message").press("Enter")
    expect(panel.locator(".message.visitor")).to_have_text(re.compile("Thank you"))
    expect(visitor.locator(".conversation .message")).to_have_count(2)
    expect(visitor.locator("body")).not_to_contain_text("Refund approved")
    assert list(Message.objects.order_by("seq").values_list("seq", "internal")) == [
        (1, True),
        (2, False),
        (3, False),
    ]
    # One visitor socket all along: no gap was seen, so no reconnect to fetch it.
    assert len([url for url in sockets if "/ws/visitor/" in url]) == 1
