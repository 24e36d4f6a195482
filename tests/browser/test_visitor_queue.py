"""The waiting visitor: their place in the queue and the estimated wait (queue.position frames);
ending the chat before anyone answered asks first, and then says the message was kept for an
answer by e-mail."""

import re

import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from tests.factories import AgentFactory
from tests.support.browser import in_a_thread, screenshot, start_visitor_chat
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_ending_while_waiting_asks_first_and_keeps_the_message(daphne_server, new_page, sales):
    AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=(390, 844))
    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Do you ship to Norway?")

    page.get_by_role("button", name="End chat").click()
    dialog = page.get_by_role("dialog", name="End this chat?")
    expect(dialog).to_contain_text("your message is kept")
    expect(dialog.get_by_role("button", name="Keep waiting")).to_be_focused()  # the safe choice first
    page.keyboard.press("Escape")  # as Keep waiting
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="End chat")).to_be_focused()
    page.get_by_role("button", name="End chat").click()
    dialog.get_by_role("button", name="Keep waiting").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Waiting for an agent")).to_be_visible()
    assert Chat.objects.get().status == Chat.Status.WAITING

    page.get_by_role("button", name="End chat").click()
    dialog.get_by_role("button", name="Yes, end the chat").click()
    expect(page.locator("#chat-state")).to_have_text(
        "You ended the chat. Your message was kept: our team will reply by e-mail to vera@example.org."
    )
    expect(page.get_by_text("could answer")).to_have_count(0)
    expect(page.get_by_role("button", name="Start a new chat")).to_be_visible()
    chat = Chat.objects.get()
    assert chat.status == Chat.Status.MISSED
    assert Ticket.objects.get(source_chat=chat).kind == Ticket.Kind.MISSED_CHAT


def test_ending_an_answered_chat_asks_nothing(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page()
    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Hello?")
    in_a_thread(services.chat_accept, actor=alice, chat_id=Chat.objects.get().pk)
    expect(page.get_by_text("You are chatting with Alice Agent.")).to_be_visible()
    page.get_by_role("button", name="End chat").click()
    expect(page.get_by_text("This chat has ended.")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_waiting_visitors_see_their_place_in_the_queue_and_the_estimate(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    first, second = new_page(viewport=(390, 844)), new_page(viewport=(390, 844))
    start_visitor_chat(first, daphne_server, name="Vera", email="vera@example.org", question="First?")
    expect(first.locator("#queue-position")).to_have_text("You are number 1 in the queue.")  # no history: no estimate
    start_visitor_chat(second, daphne_server, name="Walt", email="walt@example.org", question="Second?")
    expect(second.locator("#queue-position")).to_have_text("You are number 2 in the queue.")
    expect(first.locator("#queue-position")).to_have_text("You are number 1 in the queue.")

    in_a_thread(services.chat_accept, actor=alice, chat_id=Chat.objects.get(question="First?").pk)
    expect(first.get_by_text("You are chatting with Alice Agent.")).to_be_visible()
    expect(first.locator("#queue-position")).to_be_hidden()
    # Next now, with an estimate from the accept just made.
    next_with_estimate = re.compile(r"^You are number 1 in the queue · about \d+ min\.$")
    expect(second.locator("#queue-position")).to_have_text(next_with_estimate)
    screenshot(second, "visitor-queue")
    second.reload()  # sent again on connect
    expect(second.locator("#queue-position")).to_contain_text("You are number 1 in the queue")


def test_a_state_read_answered_after_the_end_does_not_reopen_the_page(daphne_server, new_page, sales):
    """On every socket open the page re-reads the chat; when that answer (read while waiting)
    arrives after the visitor ended the chat, the ended page stays as it is."""
    AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page()
    held = []
    page.route(
        re.compile(r".*/api/v1/visitor/chats/\d+/$"),
        lambda route: held.append(route) if route.request.method == "GET" else route.continue_(),
    )
    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Hello?")
    expect(page.get_by_text("You are number 1 in the queue")).to_be_visible()  # the socket is open
    assert len(held) == 1  # the on-open read, held by the test
    stale = held[0].fetch()  # the server's answer now, while the chat waits
    assert stale.json()["status"] == "waiting"

    page.get_by_role("button", name="End chat").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, end the chat").click()
    state = page.locator("#chat-state")
    expect(state).to_contain_text("You ended the chat.")

    with page.expect_response(re.compile(r".*/api/v1/visitor/chats/\d+/$")):
        held[0].fulfill(response=stale)  # the read arrives after the end
    page.evaluate("() => new Promise((done) => setTimeout(done, 100))")  # let the page handle it
    expect(state).to_contain_text("You ended the chat.")
    expect(page.get_by_role("button", name="Start a new chat")).to_be_visible()
