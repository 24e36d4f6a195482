"""Routing and presence in the browser, on a server whose timings are short: round robin offers
one agent at a time and moves on after OFFER_TIMEOUT_SECONDS; an agent whose browser closed is
not offered the next chat after AGENT_AWAY_AFTER_SECONDS, and is again on reconnecting."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from chat.models import Chat, ChatOffer
from helpdesk.models import Department
from tests.factories import AgentFactory
from tests.support.browser import sign_in, start_visitor_chat
from tests.support.processes import celery_worker_process, daphne_process, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SHORT = {"OFFER_TIMEOUT_SECONDS": 4, "AGENT_AWAY_AFTER_SECONDS": 2, "AGENT_PRESENCE_HEARTBEAT_SECONDS": 1}


# One server and one worker for the module (each takes seconds to start); every test still has
# its own data (transactional_db flushes the tables).
@pytest.fixture(scope="module")
def server(django_db_setup):
    server = daphne_process(**SHORT).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    worker = celery_worker_process(tmp_path_factory.mktemp("worker"), **SHORT).start()
    yield worker
    worker.stop()


def test_round_robin_offers_one_agent_at_a_time_and_moves_on_after_the_timeout(server, worker, new_page, sales):
    Department.objects.filter(pk=sales.pk).update(routing=Department.Routing.ROUND_ROBIN)
    # Not connected until their pages open (no stand-in connection rows).
    ann = AgentFactory(display_name="Ann Agent", departments=[sales], ringer=False, connected=False)
    bob = AgentFactory(display_name="Bob Agent", departments=[sales], ringer=False, connected=False)
    ann_page, bob_page = new_page(), new_page()
    sign_in(ann_page, server, ann)
    sign_in(bob_page, server, bob)

    start_visitor_chat(new_page(viewport=(400, 720)), server, name="Vera", email="vera@example.org", question="Hi?")
    ann_popup = ann_page.get_by_role("region", name="New chat from Vera")
    bob_popup = bob_page.get_by_role("region", name="New chat from Vera")
    expect(ann_popup).to_be_visible()  # Ann's turn: neither was offered a chat before, she came first
    expect(bob_popup).to_have_count(0)

    expect(bob_popup).to_be_visible(timeout=10_000)  # unanswered for OFFER_TIMEOUT_SECONDS
    # Ann's popup says why it went (then goes); the chat still waits in her list, for her to pick.
    expect(ann_popup).to_contain_text("Not answered in time", timeout=1_000)
    expect(ann_page.locator(".popup:not(.gone)")).to_have_count(0, timeout=1_000)
    expect(ann_page.get_by_role("list", name="Waiting chats").get_by_role("listitem")).to_contain_text("Vera")

    bob_popup.get_by_role("button", name="Accept").click()
    expect(bob_page.get_by_role("tab", name=re.compile("Vera"))).to_have_attribute("aria-selected", "true")
    expect(ann_page.get_by_role("list", name="Waiting chats").get_by_role("listitem")).to_have_count(0)
    assert Chat.objects.get().owner == bob


def test_a_closed_browser_is_not_offered_the_next_chat_after_the_grace_and_is_again_on_reconnect(
    server, worker, new_page, sales
):
    # Round robin, so that every offer is on record (ChatOffer), Ann's absence included.
    Department.objects.filter(pk=sales.pk).update(routing=Department.Routing.ROUND_ROBIN)
    ann = AgentFactory(display_name="Ann Agent", departments=[sales], ringer=False, connected=False)
    page = new_page()
    sign_in(page, server, ann)
    assert _agents(server, ann, "/api/v1/agents/available/") == []  # the list leaves out the asker
    assert _presence(server, ann) == "online"
    page.context.close()  # the browser closes, and its socket with it

    wait_until(lambda: _presence(server, ann) == "away", timeout=10, interval=0.25)
    # Through the API: with nobody available the visitor page offers the offline form instead.
    chat_id = _start_chat(server, department="sales")
    chat = Chat.objects.get(pk=chat_id)
    assert not ChatOffer.objects.filter(chat=chat).exists()  # away: not offered, the chat waits its turn

    page = new_page()
    sign_in(page, server, ann)
    expect(page.get_by_role("region", name="New chat from Vera")).to_be_visible()
    assert ChatOffer.objects.get(chat=chat, status=ChatOffer.Status.PENDING).agent == ann


def _start_chat(server, *, department: str) -> int:
    body = json.dumps({"name": "Vera", "email": "vera@example.org", "question": "Hi?", "department": department})
    request = urllib.request.Request(
        f"{server.url}/api/v1/visitor/chats/", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["chat_id"]


def _agents(server, agent, path: str) -> list[dict]:
    request = urllib.request.Request(f"{server.url}{path}", headers={"Authorization": f"Token {agent.api_key}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.load(response)
    return body["results"] if isinstance(body, dict) else body


def _presence(server, agent) -> str:
    """The agent's presence as GET /api/v1/agents/me/ states it."""
    request = urllib.request.Request(
        f"{server.url}/api/v1/agents/me/", headers={"Authorization": f"Token {agent.api_key}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["presence"]
