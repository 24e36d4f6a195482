"""The smaller faults of issue 13 on the agent pages: the handover dialogs, another agent's typing
line, and one date format (the viewer's locale) on the Chat Dashboard and the Tickets pages."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat
from tickets.models import ThreadEntry, Ticket, TicketChange

pytestmark = pytest.mark.django_db(transaction=True)

# How the viewer's browser writes a moment: the one format of every page (static/common/dom.js).
LOCAL_FORMAT = """([iso, timeOnly]) => new Intl.DateTimeFormat(undefined,
  timeOnly ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso))"""


def local(page, iso, *, time_only=False):
    return page.evaluate(LOCAL_FORMAT, [iso, time_only])


def assert_times_in_local_format(where, selector, *, time_only=False, prefix=""):
    """Every `selector` <time> in `where` (a page or a locator) shows its datetime that way."""
    times = where.locator(selector)
    expect(times.first).to_be_attached()
    for element in times.all():
        iso = element.get_attribute("datetime")
        expect(element).to_have_text(prefix + local(times.page, iso, time_only=time_only))


@pytest.fixture
def alice_and_vera(daphne_server, new_page, sales, support):
    """Alice (Sales) in an accepted chat with Vera; Bob (Sales and Support) signed in too."""
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    bob = AgentFactory(display_name="Bob Agent", departments=[sales, support], ringer=False)
    alice_page, bob_page = new_page(), new_page()
    sign_in(alice_page, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Can you help?")
    alice_page.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Accept").click()
    expect(visitor.get_by_text("You are chatting with Alice Agent.")).to_be_visible()
    sign_in(bob_page, daphne_server, bob)
    return alice_page, bob_page, visitor


def open_action(page, name):
    panel = page.get_by_role("tabpanel")
    panel.get_by_role("button", name="More Actions").click()
    panel.get_by_role("button", name=name).click()
    return page.get_by_role("dialog", name=name)


def test_invite_dialog_names_the_departments_before_any_transfer_dialog(alice_and_vera):
    alice, _, _ = alice_and_vera
    dialog = open_action(alice, "Invite other Agents")
    expect(dialog.get_by_label("Bob Agent")).to_have_count(2)
    expect(dialog.get_by_role("heading")).to_have_text(["Invite other Agents", "Sales", "Support"])


def test_transfer_or_invite_with_nobody_chosen_says_so_and_stays_open(alice_and_vera):
    alice, _, _ = alice_and_vera
    dialog = open_action(alice, "Transfer this Chat")
    expect(dialog.get_by_label("Bob Agent")).to_have_count(2)
    dialog.get_by_role("button", name="Transfer").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose the agent to transfer the chat to.")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Bob Agent").first).to_be_focused()
    dialog.get_by_label("Bob Agent").first.check()
    expect(dialog.get_by_role("alert")).to_be_hidden()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    dialog = open_action(alice, "Invite other Agents")
    expect(dialog.get_by_role("alert")).to_be_hidden()
    dialog.get_by_role("button", name="Invite").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose at least one agent to invite.")
    expect(dialog).to_be_visible()


def test_another_agents_typing_line_goes_when_their_message_arrives(alice_and_vera):
    alice, bob, _ = alice_and_vera
    dialog = open_action(alice, "Invite other Agents")
    dialog.get_by_label("Bob Agent").first.check()
    dialog.get_by_role("button", name="Invite").click()
    bob.get_by_role("region", name="Invitation to a chat from Alice Agent").get_by_role("button", name="Accept").click()
    bob_box = bob.get_by_role("tabpanel").get_by_label("Message")
    expect(bob_box).to_be_visible()
    typing = alice.get_by_role("tabpanel").locator(".typing")

    bob_box.fill("Bob here, one moment")
    expect(typing).to_have_text("Bob Agent is typing…")
    bob_box.press("Enter")
    expect(alice.get_by_role("tabpanel").locator(".message.agent")).to_contain_text(["Bob here, one moment"])
    # The line lasts 4 s after a typing frame; the message came well within that.
    expect(typing).to_have_text("", timeout=1000)


def test_dates_on_the_chat_dashboard_are_in_the_viewers_format(alice_and_vera):
    alice, _, visitor = alice_and_vera
    visitor.get_by_label("Message").fill("Hello")
    visitor.get_by_label("Message").press("Enter")
    panel = alice.get_by_role("tabpanel")
    expect(panel.locator(".message.visitor")).to_contain_text("Hello")
    assert_times_in_local_format(panel, ".message time", time_only=True)
    assert_times_in_local_format(panel, "time.chat-started", prefix="Started ")
    visitor.get_by_role("button", name="End chat").click()
    expect(panel.locator(".ended-note")).to_contain_text("Transcript ticket")
    assert_times_in_local_format(panel, ".ended-note time")
    expect(alice.locator("#recent-tickets time")).to_have_count(1)
    assert_times_in_local_format(alice.locator("#visitor-info"), "#recent-tickets time")


def test_dates_on_the_tickets_pages_are_in_the_viewers_format(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    ticket = Ticket.objects.create(
        subject="Refund for order 12",
        requester_name="Vera",
        requester_email="vera@example.org",
        department=sales,
        kind=Ticket.Kind.CHAT_TRANSCRIPT,
    )
    ThreadEntry.objects.create(
        ticket=ticket, position=1, author_kind="visitor", author_name="Vera", body="Hi", created_at=timezone.now()
    )
    TicketChange.objects.create(ticket=ticket, field="status", old_value="Open", new_value="Closed", changed_by=alice)
    page = new_page()
    sign_in(page, daphne_server, alice)
    page.goto(f"{daphne_server.url}/tickets/?view=all")
    assert_times_in_local_format(page, "table time")
    page.get_by_role("link", name="Refund for order 12").click()
    expect(page.get_by_role("heading", name="Refund for order 12")).to_be_visible()
    expect(page.locator("main time")).to_have_count(4)  # created, the entry, history: created and the change
    assert_times_in_local_format(page, "main time")
    assert re.search(r"\d{4}", page.locator("main time").first.inner_text())  # the year: not "Dec 2, 05:26"
