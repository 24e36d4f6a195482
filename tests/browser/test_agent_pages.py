import re

import pytest
from playwright.sync_api import expect

from helpdesk.models import Agent
from tests.factories import AgentFactory
from tests.support.api import api_client_for
from tests.support.browser import sign_in, start_visitor_chat
from tests.support.chat_clients import http

pytestmark = pytest.mark.django_db(transaction=True)


def test_status_and_ringer_are_saved_at_once_and_survive_reload(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales])
    page = new_page()
    sign_in(page, daphne_server, alice)
    page.get_by_role("button", name="Account: Alice Agent").click()
    with page.expect_response("**/api/v1/agents/me/"):
        page.get_by_label("Offline", exact=True).check()
    with page.expect_response("**/api/v1/agents/me/"):
        page.get_by_label("OFF", exact=True).check()
    page.reload()
    page.get_by_role("button", name="Account: Alice Agent").click()
    expect(page.get_by_label("Offline", exact=True)).to_be_checked()
    expect(page.get_by_label("OFF", exact=True)).to_be_checked()
    assert api_client_for(alice).get("/api/v1/agents/me/").json()["chat_status"] == "offline"
    assert api_client_for(alice).get("/api/v1/agents/me/").json()["ringer"] is False


def test_chat_items_are_shown_only_to_chat_enabled_agents(daphne_server, new_page, sales):
    manager = AgentFactory(display_name="Mona Manager", departments=[sales], chat_enabled=False)
    page = new_page()
    sign_in(page, daphne_server, manager)
    page.get_by_role("button", name="Account: Mona Manager").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_label("Online")).to_have_count(0)
    expect(page.get_by_text("Chat ringer")).to_have_count(0)


def test_offline_agent_gets_no_popup(daphne_server, new_page, sales):
    online = AgentFactory(display_name="Olivia Online", departments=[sales])
    offline = AgentFactory(display_name="Otto Offline", departments=[sales], chat_status=Agent.ChatStatus.OFFLINE)
    online_page, offline_page = new_page(), new_page()
    sign_in(online_page, daphne_server, online)
    sign_in(offline_page, daphne_server, offline)
    start_visitor_chat(new_page(), daphne_server, name="Vera", email="vera@example.org", question="Hello?")
    expect(online_page.get_by_role("region", name="New chat from Vera")).to_be_visible()
    # A later frame to the Offline agent's socket (their ringer turned off elsewhere): once the page
    # shows it, it has handled whatever came before, and there is no popup.
    status, _ = http("PATCH", f"{daphne_server.url}/api/v1/agents/me/", {"ringer": False}, token=offline.api_key)
    assert status == 200
    expect(offline_page.get_by_label("OFF", exact=True)).to_be_checked()
    expect(offline_page.get_by_role("region", name="New chat from Vera")).to_have_count(0)
    expect(offline_page.get_by_text("You are Offline")).to_be_visible()


def test_two_visitors_two_tabs_with_drafts_and_unread_badges(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent = new_page()
    sign_in(agent, daphne_server, alice)
    vera, walt = new_page(viewport=(400, 720)), new_page(viewport=(400, 720))
    start_visitor_chat(vera, daphne_server, name="Vera", email="vera@example.org", question="Plan change?")
    start_visitor_chat(walt, daphne_server, name="Walt", email="walt@example.org", question="Invoice copy?")
    expect(agent.locator(".popup")).to_have_count(2)  # pending chats stack
    agent.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Accept").click()
    expect(agent.get_by_role("tab", name=re.compile("Vera"))).to_be_visible()
    agent.get_by_role("region", name="New chat from Walt").get_by_role("button", name="Accept").click()
    walt_tab = agent.get_by_role("tab", name=re.compile("Walt"))
    vera_tab = agent.get_by_role("tab", name=re.compile("Vera"))
    expect(walt_tab).to_have_attribute("aria-selected", "true")

    agent.get_by_role("tabpanel").get_by_label("Message").fill("draft for Walt")
    vera.get_by_label("Message").fill("Are you there?")
    vera.get_by_label("Message").press("Enter")
    expect(vera_tab.locator(".badge")).to_have_text("1")
    vera_tab.click()
    expect(vera_tab.locator(".badge")).to_be_hidden()
    expect(agent.get_by_role("tabpanel").get_by_role("heading")).to_have_text("Plan change?")
    expect(agent.get_by_role("tabpanel").locator(".message.visitor")).to_contain_text("Are you there?")
    walt_tab.click()
    expect(agent.get_by_role("tabpanel").get_by_label("Message")).to_have_value("draft for Walt")


def test_script_tags_in_messages_show_as_text_on_both_sides(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent = new_page()
    sign_in(agent, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(
        visitor, daphne_server, name="<b>Eve</b>", email="eve@example.org", question="<img src=x onerror=alert(2)>"
    )
    popup = agent.get_by_role("region", name="New chat from <b>Eve</b>")
    expect(popup).to_contain_text("<img src=x onerror=alert(2)>")
    popup.get_by_role("button", name="Accept").click()
    visitor.get_by_label("Message").fill("<script>alert(1)</script>")
    visitor.get_by_label("Message").press("Enter")
    panel = agent.get_by_role("tabpanel")
    panel.get_by_label("Message").fill("<script>alert(3)</script>")
    panel.get_by_label("Message").press("Enter")
    for page in (agent, visitor):
        expect(page.locator(".message-body", has_text="<script>alert(1)</script>")).to_be_visible()
        expect(page.locator(".message-body", has_text="<script>alert(3)</script>")).to_be_visible()
        assert page.locator(".conversation script, .conversation img, .conversation b").count() == 0
    # new_page fails the test if any dialog (alert) opened


def test_reload_keeps_the_visitors_chat(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    agent = new_page()
    sign_in(agent, daphne_server, alice)
    visitor = new_page(viewport=(400, 720))
    start_visitor_chat(visitor, daphne_server, name="Vera", email="vera@example.org", question="Still there?")
    agent.get_by_role("button", name="Accept").click()
    visitor.get_by_label("Message").fill("first")
    visitor.get_by_label("Message").press("Enter")
    expect(visitor.locator(".message")).to_have_count(1)
    visitor.reload()
    expect(visitor.get_by_text("You are chatting with Alice Agent.")).to_be_visible()
    expect(visitor.locator(".message")).to_have_count(1)
    agent.get_by_role("tabpanel").get_by_label("Message").fill("after your reload")
    agent.get_by_role("tabpanel").get_by_label("Message").press("Enter")
    expect(visitor.locator(".message")).to_have_count(2)


def test_popup_disappears_with_a_note_when_another_agent_accepts_first(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    bob = AgentFactory(display_name="Bob Agent", departments=[sales], ringer=False)
    alice_page, bob_page = new_page(), new_page()
    sign_in(alice_page, daphne_server, alice)
    sign_in(bob_page, daphne_server, bob)
    start_visitor_chat(new_page(), daphne_server, name="Vera", email="vera@example.org", question="Who's first?")
    bob_popup = bob_page.get_by_role("region", name="New chat from Vera")
    expect(bob_popup).to_be_visible()
    alice_page.get_by_role("region", name="New chat from Vera").get_by_role("button", name="Accept").click()
    expect(bob_popup).to_contain_text("Accepted by Alice Agent")
    expect(bob_popup.get_by_role("button", name="Accept")).to_be_hidden()
    expect(bob_popup).to_have_count(0, timeout=6000)
    expect(bob_page.get_by_role("tab")).to_have_count(0)
