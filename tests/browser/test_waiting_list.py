"""The Chat Dashboard's waiting list (static/agent/waiting-list.js) and "Later" on new chat popups."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from helpdesk.models import Agent
from tests.factories import AgentFactory, ChatFactory
from tests.support.browser import sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)


def test_waiting_list_shows_a_chat_nobody_accepted_with_its_waiting_time(daphne_server, new_page, sales):
    # Offline, so nothing is offered to Alice: the list alone shows the chats, oldest first.
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], chat_status=Agent.ChatStatus.OFFLINE)
    now = timezone.now()
    ChatFactory(
        department=sales, visitor__name="Walt", question="Invoice copy?", started_at=now - timedelta(seconds=30)
    )
    ChatFactory(department=sales, visitor__name="Vera", question="Plan change?", started_at=now - timedelta(seconds=95))
    page = new_page()
    sign_in(page, daphne_server, alice)

    waiting = page.get_by_role("list", name="Waiting chats")
    items = waiting.get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Vera")
    expect(items.nth(0)).to_contain_text("Plan change?")
    expect(items.nth(0)).to_contain_text("Sales")
    expect(items.nth(0).locator("time")).to_have_text(re.compile(r"^1:3\d$"))
    first = items.nth(0).locator("time").inner_text()
    expect(items.nth(0).locator("time")).not_to_have_text(first)  # it counts on
    expect(items.nth(1)).to_contain_text("Walt")
    expect(page.locator(".popup")).to_have_count(0)


def test_later_puts_a_popup_aside_and_the_chat_stays_in_the_waiting_list(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=(1024, 700))
    sign_in(page, daphne_server, alice)
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Plan change?"
    )
    popup = page.get_by_role("region", name="New chat from Vera")
    waiting = page.get_by_role("list", name="Waiting chats")
    expect(popup).to_be_visible()
    expect(waiting.get_by_role("listitem")).to_have_count(0)  # shown in the popup instead

    popup.get_by_role("button", name="Later").click()
    expect(popup).to_have_count(0)
    item = waiting.get_by_role("listitem").filter(has_text="Vera")
    expect(item).to_contain_text("Plan change?")

    shots = os.environ.get("SCREENSHOTS_DIR")
    if shots:
        start_visitor_chat(
            new_page(viewport=(400, 720)), daphne_server, name="Walt", email="w@example.org", question="Hi?"
        )
        expect(page.get_by_role("region", name="New chat from Walt")).to_be_visible()
        page.screenshot(path=Path(shots) / "waiting-list-1024.png")
        page.get_by_role("region", name="New chat from Walt").get_by_role("button", name="Later").click()

    page.reload()  # put aside for this tab: no popup again
    expect(item).to_contain_text("Vera")
    expect(popup).to_have_count(0)

    item.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("tab", name=re.compile("Vera"))).to_have_attribute("aria-selected", "true")
    expect(item).to_have_count(0)


def test_a_chat_another_agent_accepts_leaves_the_list(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    bob = AgentFactory(display_name="Bob Agent", departments=[sales], ringer=False)
    alice_page, bob_page = new_page(), new_page()
    sign_in(alice_page, daphne_server, alice)
    sign_in(bob_page, daphne_server, bob)
    start_visitor_chat(
        new_page(viewport=(400, 720)), daphne_server, name="Vera", email="vera@example.org", question="Hi?"
    )
    alice_page.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Later").click()
    item = alice_page.get_by_role("list", name="Waiting chats").get_by_role("listitem")
    expect(item).to_contain_text("Vera")
    bob_page.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Accept").click()
    expect(item).to_have_count(0)
