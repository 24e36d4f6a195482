"""The pages as people see them. Writes PNGs to $SCREENSHOTS_DIR (`make screenshots` sets it
to docs/screenshots) or to a temporary folder, after checking what each one must show."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshots_of_dashboard_popup_menu_and_widget(daphne_server, new_page, sales, shots):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent = new_page()
    sign_in(agent, daphne_server, alice)

    # An earlier, missed chat of the same visitor fills Recent Chats and Recent Tickets.
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(
        visitor, daphne_server, name="Vera Visitor", email="vera@example.org", question="Do you ship to Norway?"
    )
    visitor.get_by_role("button", name="End chat").click()
    visitor.get_by_role("button", name="Yes, end the chat").click()  # ending while waiting asks first
    expect(visitor.get_by_text("Our team will reply by e-mail to vera@example.org")).to_be_visible()
    visitor.get_by_role("button", name="Start a new chat").click()
    start_visitor_chat(
        visitor,
        daphne_server,
        name="Vera Visitor",
        email="vera@example.org",
        question="Can I upgrade my plan mid-month?",
    )
    second = new_page(viewport=(400, 720))
    start_visitor_chat(
        second, daphne_server, name="Walt Walker", email="walt@example.org", question="Where is my invoice?"
    )
    expect(agent.locator(".popup")).to_have_count(2)
    agent.screenshot(path=shots / "popup.png")

    agent.get_by_role("region", name="New chat from Vera Visitor").get_by_role("button", name="Accept").click()
    panel = agent.get_by_role("tabpanel")
    visitor.get_by_label("Message").fill("Hi! I'm on the Basic plan. Can I switch to Pro today?")
    visitor.get_by_label("Message").press("Enter")
    panel.get_by_label("Message").fill("Yes, you can. The difference is prorated: https://example.com/pricing")
    panel.get_by_label("Message").press("Enter")
    visitor.get_by_label("Message").fill("Great, thanks")
    expect(visitor.locator(".message")).to_have_count(2)
    visitor.get_by_label("Message").press("Enter")
    expect(panel.locator(".message")).to_have_count(3)
    expect(agent.get_by_role("complementary", name="Visitor Info")).to_contain_text("Do you ship to Norway?")
    agent.screenshot(path=shots / "dashboard.png")

    agent.get_by_role("button", name="Account: Alice Agent").click()
    expect(agent.get_by_label("Online", exact=True)).to_be_checked()
    agent.screenshot(path=shots / "status-menu.png", clip={"x": 880, "y": 0, "width": 400, "height": 330})

    visitor.screenshot(path=shots / "visitor-chat.png")
    demo = new_page()
    demo.goto(f"{daphne_server.url}/demo/")
    demo.get_by_role("button", name="Chat with us").click()
    frame = demo.frame_locator("iframe[title='Live chat']")
    expect(frame.get_by_label("Department")).to_have_value("sales")
    expect(frame.get_by_role("button", name="Start chat")).to_be_enabled()  # visitor.js has the form
    demo.screenshot(path=shots / "widget.png")
    phone = new_page(viewport=(390, 740))
    phone.goto(f"{daphne_server.url}/chat/")
    phone.get_by_role("button", name="Start chat").click()
    expect(phone.get_by_text("Please enter your name.")).to_be_visible()
    phone.screenshot(path=shots / "visitor-form-errors-phone.png")
