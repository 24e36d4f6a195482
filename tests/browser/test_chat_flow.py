import re

import pytest
from playwright.sync_api import expect

from chat.models import Chat
from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(sales):
    return AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)


def test_whole_flow_from_form_to_transcript_ticket(daphne_server, celery_worker, new_page, alice):
    agent = new_page()
    sign_in(agent, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Can I change my plan?")

    popup = agent.get_by_role("region", name="New chat from Vera")
    expect(popup).to_contain_text("Can I change my plan?")
    expect(popup).to_contain_text("Sales")  # the department's name, not its slug
    popup.get_by_role("button", name="Accept").click()
    expect(popup).to_have_count(0)

    expect(agent.get_by_role("tab", name=re.compile("Vera"))).to_be_visible()
    panel = agent.get_by_role("tabpanel")
    expect(panel.get_by_role("heading", name="Can I change my plan?")).to_be_visible()
    expect(panel).to_contain_text("vera@example.org")
    expect(agent.get_by_role("complementary", name="Visitor Info")).to_contain_text("Chrome")
    expect(visitor.get_by_text("You are chatting with Alice Agent.")).to_be_visible()

    visitor.get_by_label("Message").fill("Hello, I have a question")
    visitor.get_by_label("Message").press("Enter")
    expect(panel.locator(".message.visitor")).to_have_text(re.compile("Hello, I have a question"))
    agent_box = panel.get_by_label("Message")
    agent_box.fill("Sure,")
    agent_box.press("Shift+Enter")
    agent_box.type("see https://example.com/plans")
    agent_box.press("Enter")
    reply = visitor.locator(".message.agent")
    expect(reply).to_contain_text("Sure,\nsee https://example.com/plans")
    expect(reply.get_by_role("link", name="https://example.com/plans")).to_have_attribute(
        "rel", "noopener noreferrer nofollow"
    )

    panel.get_by_role("button", name="End Session").click()
    panel.get_by_label("Seconds until the end").fill("3")
    panel.get_by_role("button", name="End later").click()
    expect(panel.get_by_text(re.compile(r"This chat ends in \d s"))).to_be_visible()
    expect(visitor.get_by_text(re.compile(r"This chat will end in \d s"))).to_be_visible()

    ticket_link = panel.get_by_role("link", name=re.compile(r"Transcript ticket #\d+"))
    expect(ticket_link).to_be_visible(timeout=8000)
    expect(agent.get_by_role("tab", name=re.compile("Vera"))).to_contain_text("Ended")
    expect(visitor.get_by_text("This chat has ended.")).to_be_visible()
    chat = Chat.objects.get()
    ticket = Ticket.objects.get(source_chat=chat)
    assert ticket.kind == Ticket.Kind.CHAT_TRANSCRIPT
    assert [e.body for e in ticket.thread.all()] == [
        "Can I change my plan?",
        "Hello, I have a question",
        "Sure,\nsee https://example.com/plans",
    ]
    ticket_link.click()
    expect(agent.get_by_role("heading", name="Can I change my plan?")).to_be_visible()
    expect(agent.get_by_text("Chat Transcripts")).to_be_visible()
