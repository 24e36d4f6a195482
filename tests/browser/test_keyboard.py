"""The agent's pages with the keyboard alone: the account menu, and a chat from the popup's Accept
to End Session."""

import re

import pytest
from playwright.sync_api import expect

from helpdesk.models import Agent
from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)


def tab_to(page, target, *, backwards=False, most=40):
    """Press Tab (Shift+Tab) until `target` has the focus, as a keyboard user would."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(most):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} {most} times never reached {target}")


def test_arrow_keys_in_the_account_menu_move_the_focus_and_choose_nothing(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page()
    sign_in(page, daphne_server, alice)
    account = page.get_by_role("button", name="Account: Alice Agent")
    online, offline = page.get_by_label("Online", exact=True), page.get_by_label("Offline", exact=True)
    tab_to(page, account)
    page.keyboard.press("Enter")
    expect(online).to_be_focused()

    page.keyboard.press("ArrowDown")
    expect(offline).to_be_focused()
    expect(online).to_be_checked()  # moving past Offline did not choose it
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("ON", exact=True)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(offline).to_be_focused()
    expect(online).to_be_checked()
    alice.refresh_from_db()
    assert alice.chat_status == Agent.ChatStatus.ONLINE

    with page.expect_response("**/api/v1/agents/me/"):
        page.keyboard.press("Space")
    expect(offline).to_be_checked()
    page.keyboard.press("ArrowUp")
    expect(online).to_be_focused()
    expect(offline).to_be_checked()
    with page.expect_response("**/api/v1/agents/me/"):
        page.keyboard.press("Enter")
    expect(online).to_be_checked()
    alice.refresh_from_db()
    assert alice.chat_status == Agent.ChatStatus.ONLINE

    page.keyboard.press("Escape")
    expect(online).to_be_hidden()
    expect(account).to_be_focused()


def test_accept_from_the_popup_send_and_end_the_session_by_keyboard(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page()
    sign_in(page, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Refund?")

    accept = page.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Accept")
    tab_to(page, accept)
    page.keyboard.press("Enter")
    panel = page.get_by_role("tabpanel")
    expect(page.get_by_role("tab", name=re.compile("Vera"))).to_be_visible()
    box = panel.get_by_label("Message")
    expect(box).to_be_focused()
    page.keyboard.type("Hello Vera, how can I help?")
    page.keyboard.press("Enter")
    expect(visitor.get_by_text("Hello Vera, how can I help?")).to_be_visible()

    end = panel.get_by_role("button", name="End Session")
    tab_to(page, end, backwards=True)
    page.keyboard.press("Enter")
    expect(panel.get_by_role("button", name="End now")).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel.locator(".ended-note")).to_contain_text("Transcript ticket")
    # The focus stays in the chat, on what happened, not on the page's body.
    expect(panel.locator(".ended-note")).to_be_focused()
    expect(visitor.get_by_text(re.compile("ended", re.IGNORECASE)).first).to_be_visible()
