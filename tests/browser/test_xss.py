"""Visitor text with script payloads, in the agent's Chat Dashboard (popup, tab, conversation,
Visitor Info with earlier chats and tickets) and on the visitor's page (the agent's name and
messages): shown as text, nothing runs. Lives here, not in tests/security/, because browser
tests must run after the async ones (tests/conftest.py); the server-rendered pages are covered
by tests/security/test_xss.py."""

import pytest
from playwright.sync_api import expect

from chat import services
from tests.factories import AgentFactory, VisitorFactory, accepted_chat
from tests.support.browser import in_a_thread, sign_in
from tests.support.payloads import IMG, PAYLOADS, SCRIPT

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "mallory@example.org"  # the form's e-mail field refuses markup; tests/security covers it
LINK = 'https://x.example/"><img src=x onerror="window.__xss=1">'  # made a link by the pages
INJECTED = "() => window.__xss === 1 || !!document.querySelector('img[onerror], svg[onload], [onload]')"
# An image of the same failing address loaded now: it fails after any injected <img src=x> did.
LATER_IMAGE_FAILS = """() => new Promise((done) => {
  const img = new Image();
  img.onerror = img.onload = done;
  img.src = "x";
})"""


def test_payloads_are_text_on_the_dashboard_and_the_visitor_page(daphne_server, new_page, sales, published):
    alice = AgentFactory(display_name=f"Alice {IMG}", departments=[sales], ringer=False)
    earlier = accepted_chat(
        agent=alice, department=sales, question=f"Earlier {SCRIPT}",
        visitor=VisitorFactory(name=PAYLOADS["name"], email=EMAIL),
    )  # fmt: skip
    in_a_thread(services.chat_end, actor=alice, chat_id=earlier.pk)  # its events go to `published`, not to Redis

    agent, visitor = new_page(), new_page(viewport=(400, 720))
    for page in (agent, visitor):  # an alert would block the page; `new_page` still records it as a failure
        page.on("dialog", lambda dialog: dialog.dismiss())
    sign_in(agent, daphne_server, alice)
    visitor.goto(f"{daphne_server.url}/chat/", referer=PAYLOADS["page_url"])
    visitor.get_by_label("Name").fill(PAYLOADS["name"])
    visitor.get_by_label("Email").fill(EMAIL)
    visitor.get_by_label("Question").fill(PAYLOADS["question"])
    visitor.get_by_label("Department").select_option(label="Sales")
    visitor.get_by_role("button", name="Start chat").click()
    visitor.get_by_text("Waiting for an agent").wait_for()

    popup = agent.get_by_role("region", name=f"New chat from {PAYLOADS['name']}")
    expect(popup).to_contain_text(PAYLOADS["question"])
    popup.get_by_role("button", name="Accept").click()
    panel = agent.get_by_role("tabpanel")
    expect(panel.get_by_role("heading", name=PAYLOADS["question"])).to_be_visible()
    info = agent.get_by_role("complementary", name="Visitor Info")
    expect(info).to_contain_text(f"Earlier {SCRIPT}")  # Recent Chats and Recent Tickets
    expect(visitor.get_by_text(f"You are chatting with Alice {IMG}.")).to_be_visible()

    visitor.get_by_label("Message").fill(f"{PAYLOADS['message']} {LINK}")
    visitor.get_by_label("Message").press("Enter")
    expect(panel.locator(".message.visitor")).to_contain_text(PAYLOADS["message"])
    panel.get_by_label("Message").fill(f"{SCRIPT} {LINK}")
    panel.get_by_label("Message").press("Enter")
    expect(visitor.locator(".message.agent")).to_contain_text(SCRIPT)
    for page in (agent, visitor):
        expect(page.get_by_role("link", name="https://x.example/")).to_have_count(2)  # each link stops at '"'
        page.evaluate(LATER_IMAGE_FAILS)  # after it, an injected <img src=x> has fired its onerror
        assert page.evaluate(INJECTED) is False
    # The `new_page` fixture fails the test on any dialog (alert) or page error.
