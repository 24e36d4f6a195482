import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chat.models import Chat
from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or "/tmp")


@pytest.fixture
def two_agents_and_a_chat(daphne_server, new_page, sales, support):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    bob = AgentFactory(display_name="Bob Agent", departments=[sales, support], ringer=False)
    alice_page, bob_page = new_page(), new_page()
    sign_in(alice_page, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Can you help?")
    alice_page.get_by_role("button", name="Accept").click()
    expect(visitor.get_by_text("You are chatting with Alice Agent.")).to_be_visible()
    sign_in(bob_page, daphne_server, bob)  # after Alice accepted: Bob has no offer on screen
    return alice_page, bob_page, visitor


def test_transfer_to_a_department_and_accept(two_agents_and_a_chat):
    alice, bob, visitor = two_agents_and_a_chat
    visitor.get_by_label("Message").fill("I need a refund")
    visitor.get_by_label("Message").press("Enter")
    panel = alice.get_by_role("tabpanel")
    panel.get_by_role("button", name="More Actions").click()
    panel.get_by_role("button", name="Transfer this Chat").click()
    dialog = alice.get_by_role("dialog", name="Transfer this Chat")
    expect(dialog.get_by_label("Bob Agent")).to_have_count(2)  # grouped: listed under Sales and Support
    dialog.get_by_label("Department").select_option(label="Support")
    expect(dialog.get_by_label("Bob Agent")).to_have_count(1)  # the agents underneath Support
    dialog.get_by_label("Bob Agent").check()
    dialog.get_by_label("Message for the agent (optional)").fill("Refund case, please take over")
    alice.screenshot(path=SHOTS / "transfer-dialog.png")
    dialog.get_by_role("button", name="Transfer").click()
    expect(panel.get_by_text("Waiting for Bob Agent to accept the transfer…")).to_be_visible()

    popup = bob.get_by_role("region", name="Transfer request from Alice Agent")
    expect(popup).to_contain_text("Can you help?")
    expect(popup).to_contain_text("Refund case, please take over")
    bob.screenshot(path=SHOTS / "transfer-popup.png")
    popup.get_by_role("button", name="Accept").click()

    bob_panel = bob.get_by_role("tabpanel")
    expect(bob.get_by_role("tab", name=re.compile("Vera"))).to_be_visible()
    expect(bob_panel.locator(".message.visitor")).to_contain_text("I need a refund")  # the full history
    expect(bob_panel.locator(".message.system")).to_contain_text("Transferred from Alice Agent to Bob Agent")
    expect(visitor.get_by_text("You are chatting with Bob Agent.")).to_be_visible()
    expect(panel.get_by_text("Transferred to Bob Agent")).to_be_visible()  # Alice's tab is read-only
    expect(panel.get_by_label("Message")).to_be_hidden()
    chat = Chat.objects.get()
    assert chat.owner.display_name == "Bob Agent" and chat.department.slug == "support"


def test_invite_both_agents_post_and_the_visitor_sees_both_names(two_agents_and_a_chat):
    alice, bob, visitor = two_agents_and_a_chat
    panel = alice.get_by_role("tabpanel")
    panel.get_by_role("button", name="More Actions").click()
    panel.get_by_role("button", name="Invite other Agents").click()
    dialog = alice.get_by_role("dialog", name="Invite other Agents")
    dialog.get_by_label("Bob Agent").first.check()
    dialog.get_by_role("button", name="Invite").click()
    popup = bob.get_by_role("region", name="Invitation to a chat from Alice Agent")
    popup.get_by_role("button", name="Accept").click()
    bob_panel = bob.get_by_role("tabpanel")
    expect(bob_panel.locator(".message.system")).to_contain_text("Bob Agent joined the chat")

    panel.get_by_label("Message").fill("Hello from Alice")
    panel.get_by_label("Message").press("Enter")
    # Bob answers what he read: two sockets sending at once have no order of their own.
    expect(bob_panel.locator(".message.agent", has_text="Hello from Alice")).to_be_visible()
    bob_panel.get_by_label("Message").fill("And Bob here")
    bob_panel.get_by_label("Message").press("Enter")
    expect(visitor.locator(".message.agent")).to_have_count(2)
    expect(visitor.locator(".message.agent").nth(0)).to_contain_text("Alice Agent")
    expect(visitor.locator(".message.agent").nth(1)).to_contain_text("Bob Agent")

    # Bob may leave; only Alice, the owner, ends the session, for everyone.
    expect(bob_panel.get_by_role("button", name="End Session")).to_be_hidden()
    panel.get_by_role("button", name="End Session").click()
    panel.get_by_role("button", name="End now").click()
    expect(bob.get_by_role("tab", name=re.compile("Vera"))).to_contain_text("Ended")
    ticket = Ticket.objects.get()
    assert {a.display_name for a in ticket.agents.all()} == {"Alice Agent", "Bob Agent"}
