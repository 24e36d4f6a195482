"""The agent shell on every agent page (static/agent/shell.js): new chat popups with the ring on
the Tickets page, accepting there lands on the chat in the Chat Dashboard, the account menu and
sign-out on the Tickets and Canned pages, the title count and desktop notifications while hidden."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from tests.factories import AgentFactory, accepted_chat
from tests.support.browser import in_a_thread, sign_in, start_visitor_chat
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

# Counts in window.__plays how often a sound was asked to play.
COUNT_PLAYS = """
window.__plays = 0;
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () { window.__plays += 1; return play.call(this); };
"""

# A Notification stand-in that records what was shown (window.__notifications) and answers
# "granted" when asked; window.__focused counts window.focus() calls.
FAKE_NOTIFICATIONS = """
window.__notifications = [];
window.__focused = 0;
window.focus = () => { window.__focused += 1; };
class FakeNotification {
  static permission = "default";
  static requestPermission() { FakeNotification.permission = "granted"; return Promise.resolve("granted"); }
  constructor(title, options) {
    Object.assign(this, { title, body: options.body, closed: false });
    window.__notifications.push(this);
  }
  close() { this.closed = true; }
}
window.Notification = FakeNotification;
window.__asked = 0;
const ask = FakeNotification.requestPermission;
FakeNotification.requestPermission = () => { window.__asked += 1; return ask(); };
"""

# The page as the browser has it while another tab is in front.
HIDE = """() => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
  document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW = """() => {
  delete document.hidden;
  delete document.visibilityState;
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture
def alice(sales, agents_group):
    agent = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=True)
    agent.user.groups.add(agents_group)
    return agent


def test_popup_and_ring_on_the_tickets_page_and_accept_lands_on_the_chat(daphne_server, new_page, alice):
    # Alice already has a chat open: the accepted one must be the one in front.
    accepted_chat(agent=alice, question="An older chat", started_at=timezone.now() - timedelta(minutes=5))
    page = new_page()
    page.add_init_script(COUNT_PLAYS)
    sign_in(page, daphne_server, alice)
    page.get_by_role("link", name="Tickets").click()
    page.wait_for_url("**/tickets/")

    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Can I change my plan?")
    popup = page.get_by_role("region", name="New chat from Vera")
    expect(popup).to_contain_text("Can I change my plan?")
    expect(popup).to_contain_text("Sales")
    page.wait_for_function("() => window.__plays > 0")
    expect(page.get_by_role("button", name="Click to enable sound")).to_have_count(0)  # the browser let it play
    if os.environ.get("SCREENSHOTS_DIR"):
        page.screenshot(path=Path(os.environ["SCREENSHOTS_DIR"]) / "popup-on-tickets.png")

    popup.get_by_role("button", name="Accept").click()
    page.wait_for_url(re.compile(r"/agent/"))
    vera_tab = page.get_by_role("tab", name=re.compile("Vera"))
    expect(vera_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel").get_by_role("heading", name="Can I change my plan?")).to_be_visible()
    expect(page.get_by_role("tab")).to_have_count(2)
    expect(visitor.get_by_text("You are chatting with Alice Agent.")).to_be_visible()
    assert "chat=" not in page.url  # a reload does not pull that chat to the front again


@pytest.mark.parametrize("path", ["/tickets/", "/tickets/{ticket}/", "/canned/", "/canned/categories/"])
def test_account_menu_works_and_signs_out_on_other_agent_pages(daphne_server, new_page, alice, sales, path):
    ticket = Ticket.objects.create(
        subject="Refund", requester_name="Vera", requester_email="vera@example.org", department=sales
    )
    page = new_page()
    sign_in(page, daphne_server, alice)
    page.goto(f"{daphne_server.url}{path.format(ticket=ticket.pk)}")
    page.get_by_role("button", name="Account: Alice Agent").click()
    with page.expect_response("**/api/v1/agents/me/"):
        page.get_by_label("Offline", exact=True).check()
    expect(page.locator("#status-dot")).to_have_class(re.compile("offline"))
    alice.refresh_from_db()
    assert alice.chat_status == "offline"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_popup_on_the_ticket_detail_page(daphne_server, new_page, alice, sales):
    ticket = Ticket.objects.create(
        subject="Refund", requester_name="Vera", requester_email="vera@example.org", department=sales
    )
    page = new_page()
    sign_in(page, daphne_server, alice)
    page.goto(f"{daphne_server.url}/tickets/{ticket.pk}/")
    start_visitor_chat(new_page(viewport=(400, 720)), daphne_server, name="Walt", email="w@example.org", question="Hi?")
    expect(page.get_by_role("region", name="New chat from Walt")).to_contain_text("Hi?")


def test_title_count_and_desktop_notification_while_hidden(daphne_server, new_page, alice):
    page = new_page()
    page.add_init_script(FAKE_NOTIFICATIONS)
    sign_in(page, daphne_server, alice)
    page.goto(f"{daphne_server.url}/tickets/")
    title = page.title()
    page.get_by_role("button", name="Account: Alice Agent").click()
    page.get_by_role("button", name="Enable desktop notifications").click()
    expect(page.get_by_text("Desktop notifications are on.")).to_be_visible()
    page.evaluate(HIDE)

    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Hello?"
    )
    expect(page).to_have_title(f"(1) {title}")
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Walt", email="walt@example.org", question="Hi?"
    )
    expect(page).to_have_title(f"(2) {title}")
    shown = page.evaluate("() => window.__notifications.map((n) => [n.title, n.body])")
    assert shown == [["New chat from Vera", "Hello?"], ["New chat from Walt", "Hi?"]]
    page.evaluate("() => window.__notifications[0].onclick()")
    assert page.evaluate("() => window.__focused") == 1

    page.evaluate(SHOW)
    expect(page).to_have_title(title)


def test_no_notification_prompt_on_load(daphne_server, new_page, alice):
    page = new_page()
    page.add_init_script(FAKE_NOTIFICATIONS)
    sign_in(page, daphne_server, alice)
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Hello?"
    )
    expect(page.get_by_role("region", name="New chat from Vera")).to_be_visible()
    assert page.evaluate("() => window.__asked") == 0


@pytest.mark.parametrize(("refusal", "hint_shown"), [("NotAllowedError", True), ("AbortError", False)])
def test_sound_hint_only_when_the_browser_refuses_sound(daphne_server, new_page, alice, refusal, hint_shown):
    page = new_page()
    page.add_init_script(
        f"""HTMLMediaElement.prototype.play = function () {{
          window.__plays = (window.__plays || 0) + 1;
          return Promise.reject(new DOMException("refused", "{refusal}"));
        }};"""
    )
    sign_in(page, daphne_server, alice)
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Hi?"
    )
    expect(page.get_by_role("region", name="New chat from Vera")).to_be_visible()
    page.wait_for_function("() => window.__plays > 0")
    page.wait_for_timeout(300)  # the refusal is handled a moment after play() was asked
    expect(page.get_by_role("button", name="Click to enable sound")).to_have_count(1 if hint_shown else 0)


def test_a_popup_whose_chat_was_taken_while_the_socket_was_down_goes_on_reconnect(
    daphne_server, new_page, alice, sales, published
):
    bob = AgentFactory(display_name="Bob Agent", departments=[sales])
    page = new_page()
    sign_in(page, daphne_server, alice)
    page.get_by_role("link", name="Tickets").click()
    page.wait_for_url("**/tickets/")
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Hi?"
    )
    popup = page.get_by_role("region", name="New chat from Vera")
    expect(popup).to_be_visible()

    daphne_server.stop()
    expect(page.get_by_text("Reconnecting…")).to_be_visible()
    # Bob takes it while Alice's page cannot hear of it (what it publishes stays in `published`).
    in_a_thread(services.chat_accept, actor=bob, chat_id=Chat.objects.get().pk)
    daphne_server.start()
    expect(page.get_by_text("Reconnecting…")).to_be_hidden(timeout=15_000)
    expect(popup).to_have_count(0)
