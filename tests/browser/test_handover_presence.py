"""The Transfer and Invite dialogs list every colleague with their presence (the unavailable ones
disabled, saying why), and closing a chat tab with its × leaves the focus somewhere useful."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from helpdesk.models import Agent
from tests.factories import AgentFactory
from tests.support.accessibility import assert_accessible
from tests.support.browser import sign_in, start_visitor_chat

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or "/tmp/shots_ui")


def accept_chat(page, server, new_page, *, name, question):
    start_visitor_chat(
        new_page(viewport=(400, 720)), server, name=name, email=f"{name.lower()}@example.org", question=question
    )
    page.get_by_role("region", name=f"New chat from {name}").get_by_role("button", name="Accept").click()
    expect(page.get_by_role("tab", name=re.compile(name))).to_be_visible()


def open_dialog(page, action):
    panel = page.get_by_role("tabpanel")
    panel.get_by_role("button", name="More Actions").click()
    panel.get_by_role("button", name=action).click()
    return page.get_by_role("dialog", name=action)


def test_transfer_lists_away_offline_and_full_colleagues_disabled_with_their_presence(
    daphne_server, new_page, sales, support
):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    AgentFactory(display_name="Bob Agent", departments=[sales, support])  # available
    AgentFactory(display_name="Carol Agent", departments=[sales], connected=False)  # Online, browser closed
    AgentFactory(display_name="Dave Agent", departments=[support], chat_status=Agent.ChatStatus.OFFLINE)
    AgentFactory(display_name="Erin Agent", departments=[sales], max_concurrent_chats=0)  # no room
    AgentFactory(display_name="Frank Agent", departments=[sales], chat_enabled=False)  # not a chat agent
    page = new_page()
    sign_in(page, daphne_server, alice)
    accept_chat(page, daphne_server, new_page, name="Vera", question="Can you help?")

    dialog = open_dialog(page, "Transfer this Chat")
    expect(dialog.get_by_label("Bob Agent")).to_have_count(2)  # under Sales and Support, as before
    expect(dialog.get_by_label("Bob Agent").first).to_be_enabled()
    expect(dialog.locator("label", has_text="Bob Agent").first).to_contain_text("Online · 0 chats")
    carol = dialog.get_by_label("Carol Agent")
    expect(carol).to_be_disabled()
    expect(dialog.locator("label", has_text="Carol Agent")).to_contain_text("Away")
    expect(dialog.get_by_label("Dave Agent")).to_be_disabled()
    expect(dialog.locator("label", has_text="Dave Agent")).to_contain_text("Offline")
    expect(dialog.get_by_label("Erin Agent")).to_be_disabled()
    expect(dialog.locator("label", has_text="Erin Agent")).to_contain_text("No room")
    expect(dialog.get_by_label("Frank Agent")).to_have_count(0)
    expect(dialog.get_by_label("Alice Agent")).to_have_count(0)  # not herself
    expect(dialog.get_by_text("No other agent is available for chat right now.")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "transfer-dialog-presence.png")
    assert_accessible(page)

    # Nobody chosen: the dialog says so and the focus goes to the first agent that can be chosen.
    dialog.get_by_role("button", name="Transfer").click()
    expect(dialog.get_by_text("Choose the agent to transfer the chat to.")).to_be_visible()
    expect(dialog.get_by_label("Bob Agent").first).to_be_focused()

    # Under one department: only its colleagues, the unavailable ones too.
    dialog.get_by_label("Department").select_option(label="Support")
    expect(dialog.get_by_label("Bob Agent")).to_have_count(1)
    expect(dialog.get_by_label("Dave Agent")).to_be_disabled()
    expect(dialog.get_by_label("Carol Agent")).to_have_count(0)
    dialog.get_by_label("Bob Agent").check()
    dialog.get_by_role("button", name="Transfer").click()
    expect(page.get_by_role("tabpanel").get_by_text("Waiting for Bob Agent to accept the transfer…")).to_be_visible()


def test_invite_with_nobody_available_still_lists_the_away_colleague(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    AgentFactory(display_name="Carol Agent", departments=[sales], connected=False)
    page = new_page()
    sign_in(page, daphne_server, alice)
    accept_chat(page, daphne_server, new_page, name="Vera", question="Can you help?")

    dialog = open_dialog(page, "Invite other Agents")
    expect(dialog.get_by_text("No other agent is available for chat right now.")).to_be_visible()
    expect(dialog.get_by_label("Carol Agent")).to_be_disabled()
    expect(dialog.locator("label", has_text="Carol Agent")).to_contain_text("Away")
    dialog.get_by_role("button", name="Invite").click()
    expect(dialog.get_by_text("Choose at least one agent to invite.")).to_be_visible()


def end_chat(page, name):
    page.get_by_role("tab", name=re.compile(name)).click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_role("button", name="End Session").click()
    panel.get_by_role("button", name="End now").click()
    expect(page.get_by_role("tab", name=re.compile(name))).to_contain_text("Ended")


def test_closing_a_tab_with_its_x_keeps_the_focus_off_the_body(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page()
    sign_in(page, daphne_server, alice)
    accept_chat(page, daphne_server, new_page, name="Vera", question="Refund?")
    accept_chat(page, daphne_server, new_page, name="Walt", question="Invoice?")
    end_chat(page, "Walt")
    end_chat(page, "Vera")

    # The mouse on Vera's ×: the focus moves to the tab now in front, Walt's.
    page.get_by_role("button", name="Close Vera").click()
    expect(page.get_by_role("tab", name=re.compile("Vera"))).to_have_count(0)
    walt = page.get_by_role("tab", name=re.compile("Walt"))
    expect(walt).to_have_attribute("aria-selected", "true")
    expect(walt).to_be_focused()

    # The keyboard on the last tab's ×: no tab is left, the focus goes to the waiting list.
    page.get_by_role("button", name="Close Walt").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab")).to_have_count(0)
    expect(page.get_by_text("No open chats")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Waiting chats"))).to_be_focused()
    assert page.evaluate("document.activeElement !== document.body")
