"""The live monitor (/monitor/, static/agent/monitor.js) in a browser: it follows a chat from the
visitor's start to an agent's accept with no reload, a manager watches the chat read-only as it
goes on, adds an internal note the agent sees and the visitor never does, and sets the agent
Offline; axe-core finds nothing serious on it."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import AgentFactory
from tests.support.accessibility import assert_accessible
from tests.support.browser import screenshot, sign_in, start_visitor_chat
from tests.support.managers import make_manager

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_monitor_follows_chats_live_and_a_manager_acts_on_them(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    mia = make_manager(display_name="Mia Manager")
    monitor = new_page()
    sign_in(monitor, daphne_server, mia)
    monitor.get_by_role("link", name="Monitor").click()
    expect(monitor.get_by_role("heading", name="Live monitor")).to_be_visible()
    expect(monitor.get_by_text("Live: updated as chats and agents change.")).to_be_visible()
    alice_row = monitor.get_by_role("table", name="Agents").get_by_role("row").filter(has_text="Alice Agent")
    expect(alice_row).to_contain_text("0 of 5")
    expect(alice_row).to_contain_text("Sales")  # the department's name, not its slug

    dashboard = new_page()
    sign_in(dashboard, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Refund?")
    expect(visitor.get_by_text("You are number 1 in the queue")).to_be_visible()  # its socket is open
    waiting = monitor.get_by_role("table", name="Waiting chats").get_by_role("row").filter(has_text="Vera")
    expect(waiting).to_contain_text("Refund?")
    waited = waiting.locator("time")
    expect(waited).to_have_text(re.compile(r"^0:\d\d$"))
    expect(waited).not_to_have_text(waited.inner_text())  # it counts on

    dashboard.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Accept").click()
    expect(waiting).to_have_count(0)
    active = monitor.get_by_role("table", name="Active chats").get_by_role("row").filter(has_text="Vera")
    expect(active).to_contain_text("Alice Agent")
    expect(alice_row).to_contain_text("1 of 5")

    # Live: the visitor's next message shows; the only thing to write is an internal note.
    active.get_by_role("button", name="Watch the chat with Vera").click()
    watch = monitor.get_by_role("complementary", name="Vera: Refund?")
    expect(watch).to_contain_text("Alice Agent")
    visitor.get_by_label("Message").fill("Is anyone there?")
    visitor.get_by_label("Message").press("Enter")
    conversation = watch.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("Is anyone there?")
    expect(watch.get_by_role("textbox")).to_have_count(1)
    watch.get_by_label("Internal note").fill("VIP customer: refund at once")
    watch.get_by_role("button", name="Add note").click()
    expect(conversation.locator(".message.internal")).to_contain_text("VIP customer: refund at once")
    note = dashboard.get_by_role("tabpanel").locator(".message.internal")
    expect(note).to_contain_text("VIP customer: refund at once")
    expect(note).to_contain_text("Internal note — not sent to the visitor")
    expect(visitor.locator(".conversation")).to_contain_text("Is anyone there?")
    expect(visitor.locator("body")).not_to_contain_text("VIP customer")
    assert_accessible(monitor)
    screenshot(monitor, "monitor")

    alice_row.get_by_role("button", name="Set Alice Agent Offline").click()
    expect(alice_row.get_by_role("cell").nth(1)).to_have_text("Offline")
    expect(alice_row.get_by_role("cell").nth(2)).to_have_text(re.compile("Offline"))
    expect(alice_row.get_by_role("button", name="Set Alice Agent Offline")).to_be_hidden()
    expect(dashboard.locator("#status-dot")).to_have_class("status-dot offline")  # her own page knows
    active.get_by_role("button", name="Reassign the chat with Vera").click()  # nobody left to take it
    expect(monitor.get_by_role("dialog", name="Reassign the chat")).to_contain_text("No agent is available")
    assert_accessible(monitor)
