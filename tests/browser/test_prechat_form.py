"""The pre-chat form cannot be sent before its script handles it: a native submit would reload the
page with the visitor's name, e-mail and question in its address."""

import pytest
from playwright.sync_api import expect

from chat.models import Chat
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_start_chat_waits_for_the_script(daphne_server, new_page, sales):
    AgentFactory(departments=[sales])  # someone is available: the form starts a chat
    page = new_page()
    held = []
    page.route("**/static/chat/visitor*.js", lambda route: held.append(route))
    page.goto(f"{daphne_server.url}/chat/", wait_until="commit")  # the held module script delays the load events
    page.get_by_label("Name").fill("Vera")
    page.get_by_label("Email").fill("vera@example.org")
    page.get_by_label("Question").fill("Hello?")
    start = page.get_by_role("button", name="Start chat")
    expect(start).to_be_disabled()  # the script is held back: nothing can send the form yet
    assert "{#" not in page.content() and "{%" not in page.content()  # template comments stay comments
    for route in held:
        route.continue_()
    start.click()
    expect(page.get_by_text("Hello?")).to_be_visible()
    assert "vera" not in page.url
    assert Chat.objects.filter(visitor__email="vera@example.org").exists()
