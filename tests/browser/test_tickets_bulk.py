"""Bulk close on the Tickets list (issue 15), by keyboard: "Select all on this page", Close, the
confirmation; axe-core on the page that shows it."""

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory
from tests.support.accessibility import assert_accessible
from tests.support.browser import screenshot, sign_in
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db(transaction=True)


def test_select_all_and_close_from_the_tickets_list(daphne_server, new_page, sales, agents_group):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    alice.user.groups.add(agents_group)
    for subject in ("Refund for order 12", "Where is my parcel?"):
        Ticket.objects.create(
            subject=subject,
            requester_name="Vera",
            requester_email="vera@example.org",
            department=sales,
            kind=Ticket.Kind.MISSED_CHAT,
        )
    page = new_page()
    sign_in(page, daphne_server, alice)
    page.goto(f"{daphne_server.url}/tickets/?view=open")
    select_all = page.get_by_label("Select all tickets on this page")
    select_all.focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Select ticket #", exact=False)).to_have_count(2)
    for box in page.get_by_label("Select ticket #", exact=False).all():
        expect(box).to_be_checked()
    expect(page.get_by_text("2 selected")).to_be_visible()
    screenshot(page, "tickets-bulk")
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="2 tickets closed.")).to_be_visible()
    expect(page.get_by_text("No tickets here.")).to_be_visible()  # the Open view is empty now
    assert set(Ticket.objects.values_list("status", flat=True)) == {"closed"}
    assert TicketChange.objects.filter(changed_by=alice, new_value="Closed").count() == 2
    assert_accessible(page)
