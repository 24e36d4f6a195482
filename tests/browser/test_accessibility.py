"""axe-core (axe-playwright-python) on every agent page: no serious or critical violation."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import AgentFactory, CannedCategoryFactory, CannedMessageFactory
from tests.support.accessibility import assert_accessible
from tests.support.browser import sign_in, start_visitor_chat
from tickets.models import ThreadEntry, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(sales, agents_group):
    agent = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent.user.groups.add(agents_group)
    return agent


@pytest.fixture
def tickets(sales, alice):
    """An open ticket with a transcript and a comment, and a closed one (its badge is checked)."""
    now = timezone.now()
    open_ticket = Ticket.objects.create(
        subject="Refund for order 12",
        requester_name="Vera",
        requester_email="vera@example.org",
        department=sales,
        kind=Ticket.Kind.CHAT_TRANSCRIPT,
        assignee=alice,
    )
    ThreadEntry.objects.create(
        ticket=open_ticket, position=1, author_kind="visitor", author_name="Vera", body="Hello", created_at=now
    )
    ThreadEntry.objects.create(
        ticket=open_ticket, position=2, author_kind="agent", author_name="Alice Agent", body="Hi!", created_at=now
    )
    ThreadEntry.objects.create(
        ticket=open_ticket,
        position=3,
        kind="comment",
        author_kind="agent",
        author_name="Alice Agent",
        body="Checked the order",
        created_at=now,
    )
    Ticket.objects.create(
        subject="Old question",
        requester_name="Walt",
        requester_email="walt@example.org",
        department=sales,
        kind=Ticket.Kind.MISSED_CHAT,
        status=Ticket.Status.CLOSED,
    )
    return open_ticket


def test_chat_dashboard_empty(daphne_server, new_page, alice):
    page = new_page()
    sign_in(page, daphne_server, alice)
    assert_accessible(page)
    page.get_by_role("button", name="Account: Alice Agent").click()  # the open account menu too
    expect(page.get_by_label("Online", exact=True)).to_be_focused()
    assert_accessible(page)


def test_chat_dashboard_with_a_chat_open_and_a_popup(daphne_server, new_page, alice, sales):
    CannedMessageFactory(
        text="Hello {visitor.name}", shortcut="hello", category=CannedCategoryFactory(), department=sales
    )
    page = new_page()
    sign_in(page, daphne_server, alice)
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Refund?"
    )
    page.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Accept").click()
    expect(page.get_by_role("tab", name=re.compile("Vera"))).to_be_visible()
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Walt", email="walt@example.org", question="Invoice?"
    )
    expect(page.get_by_role("region", name="New chat from Walt")).to_be_visible()
    expect(page.locator("#visitor-info")).to_contain_text("Browser")
    box = page.get_by_role("tabpanel").get_by_label("Message")
    box.type("#hel")  # the '#' suggestions open: the composer's aria-expanded is checked too
    expect(page.get_by_role("listbox", name="Suggestions").get_by_role("option")).to_have_count(1)
    assert_accessible(page)


def test_tickets_list_and_detail(daphne_server, new_page, alice, tickets):
    page = new_page()
    sign_in(page, daphne_server, alice)
    page.goto(f"{daphne_server.url}/tickets/?view=all")
    expect(page.get_by_text("Closed", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Refund for order 12").click()
    expect(page.get_by_role("heading", name="Refund for order 12")).to_be_visible()
    assert_accessible(page)


def test_canned_messages_list_and_form(daphne_server, new_page, alice, sales):
    CannedMessageFactory(
        text="Hello {visitor.name}", shortcut="hello", category=CannedCategoryFactory(), department=sales
    )
    page = new_page()
    sign_in(page, daphne_server, alice)
    page.goto(f"{daphne_server.url}/canned/")
    expect(page.get_by_role("heading", name="Messages")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Add Canned Message").click()
    expect(page.get_by_role("heading", name="Add Canned Message")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()  # the form with its field errors
    expect(page.locator(".field-error").first).to_be_visible()
    assert_accessible(page)
