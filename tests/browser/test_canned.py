import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from helpdesk.actors import SYSTEM
from helpdesk.agents.services import agent_create
from tests.factories import PASSWORD, CannedCategoryFactory, CannedMessageFactory
from tests.support.browser import start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)

# Counts in window.__suggestionsOpened how often the suggestion list opens (loses `hidden`).
COUNT_OPENINGS = """list => {
  window.__suggestionsOpened = 0;
  new MutationObserver(() => { if (!list.hidden) window.__suggestionsOpened += 1; })
    .observe(list, { attributes: true, attributeFilter: ["hidden"] });
}"""


@pytest.fixture
def chatting(daphne_server, new_page, sales, support, agents_group):
    """An agent (in the Agents group) in an accepted chat with Vera, in Sales."""
    agent, _ = agent_create(
        actor=SYSTEM, username="alice", password=PASSWORD, name="Alice Agent", departments=[sales, support]
    )
    greetings = CannedCategoryFactory(name="Greetings")
    refunds = CannedCategoryFactory(name="Refunds")
    CannedMessageFactory(
        text="Hi {visitor.name}, I'm {agent.name} from {department}. How can I help?",
        shortcut="hello",
        category=greetings,
        department=sales,
    )
    CannedMessageFactory(
        text="Your refund is on its way to {visitor.email}.", shortcut="refund", category=refunds, department=None
    )
    CannedMessageFactory(text="Support-only answer", shortcut="hello-support", category=greetings, department=support)
    page = new_page()
    page.goto(f"{daphne_server.url}/accounts/login/?next=/agent/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Refund?"
    )
    page.get_by_role("button", name="Accept").click()
    box = page.get_by_role("tabpanel").get_by_label("Message")
    expect(box).to_be_focused()
    return page, box


def test_hash_arrow_enter_inserts_the_filled_text(chatting):
    page, box = chatting
    box.type("Thanks! #")
    suggestions = page.get_by_role("listbox", name="Suggestions")
    expect(suggestions.get_by_role("option")).to_have_count(2)  # Sales and all-department ones only
    box.type("ref")
    expect(suggestions.get_by_role("option")).to_have_count(1)
    for _ in range(3):
        box.press("Backspace")
    expect(suggestions.get_by_role("option")).to_have_count(2)
    expect(suggestions.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    expect(suggestions.get_by_role("option").nth(1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    box.press("Enter")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_value("Thanks! Hi Vera, I'm Alice Agent from Sales. How can I help?")
    expect(page.locator(".message")).to_have_count(0)  # Enter picked the suggestion, it did not send


def test_hash_escape_leaves_the_text_and_mid_word_hash_does_nothing(chatting):
    page, box = chatting
    page.locator(".suggestions").evaluate(COUNT_OPENINGS)
    box.type("order #123")
    box.fill("")
    box.type("See #ref")
    expect(page.get_by_role("option")).to_have_count(1)
    assert page.evaluate("window.__suggestionsOpened") == 1  # for "#ref": "#123" never opened it
    box.press("Escape")
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_hidden()
    expect(box).to_have_value("See #ref")
    box.press("Enter")  # now Enter sends what was typed
    expect(page.locator(".message.agent")).to_contain_text("See #ref")


def test_mouse_picks_a_suggestion_and_screenshot(chatting):
    page, box = chatting
    box.type("#")
    expect(page.get_by_role("option")).to_have_count(2)
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or "/tmp")
    page.screenshot(path=folder / "canned-suggestions.png")
    page.get_by_role("option").filter(has_text="refund").click()
    expect(box).to_have_value("Your refund is on its way to vera@example.org.")
