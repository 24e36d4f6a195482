"""The widget in German through its data-lang attribute, though the browser asks for English: the
bubble, the chat page inside it, its JavaScript texts and the unread count."""

import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from tests.factories import AgentFactory
from tests.support.browser import in_a_thread, screenshot
from tests.support.languages import translated

pytestmark = pytest.mark.django_db(transaction=True)


def de(msgid: str, **values) -> str:
    return translated("de", msgid, **values)


def de_js(msgid: str, **values) -> str:
    return translated("de", msgid, javascript=True, **values)


def test_german_via_data_lang(daphne_server, new_page, sales):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=(390, 844))
    page.goto(f"{daphne_server.url}/demo/?lang=de")  # the demo page's widget gets data-lang="de"
    assert page.evaluate("navigator.language") == "en-US"
    expect(page.locator("script[data-lang='de']")).to_have_count(1)

    page.get_by_role("button", name=de("Chat with us")).click()
    frame = page.locator(f"iframe[title='{de('Live chat')}']")
    widget = page.frame_locator(f"iframe[title='{de('Live chat')}']")
    expect(widget.locator("html")).to_have_attribute("lang", "de")
    widget.get_by_label(de("Name"), exact=True).fill("Vera")
    widget.get_by_label(de("Email")).fill("vera@example.org")
    widget.get_by_label(de("Question")).fill("Liefern Sie nach Norwegen?")
    widget.get_by_role("button", name=de("Start chat")).click()
    expect(widget.get_by_text(de_js("Waiting for an agent… You can already write your message."))).to_be_visible()
    expect(widget.get_by_text(de_js("You are number %(position)s in the queue.", position=1))).to_be_visible()
    screenshot(page, "widget-german")

    chat = Chat.objects.get()
    in_a_thread(services.chat_accept, actor=alice, chat_id=chat.pk)
    expect(widget.get_by_text(de_js("You are chatting with %(name)s.", name="Alice Agent"))).to_be_visible()

    widget.get_by_role("button", name=de("Close chat window")).click()
    expect(frame).to_be_hidden()
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Ja, in drei Tagen.")
    unread = translated("de", "Chat with us (%(count)s new message)", count=1)
    expect(page.get_by_role("button", name=unread)).to_be_visible()


def test_the_chat_page_follows_the_browser_without_data_lang(daphne_server, browser, sales):
    AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)  # so the chat form shows
    context = browser.new_context(locale="fr-FR")  # Accept-Language: fr-FR
    try:
        page = context.new_page()
        page.goto(f"{daphne_server.url}/chat/")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.get_by_label(translated("fr", "Email")).fill("vera@example.org")
        page.get_by_label(translated("fr", "Question")).fill("Bonjour ?")
        page.get_by_role("button", name=translated("fr", "Start chat")).click()  # no name
        expect(page.get_by_text(translated("fr", "Please enter your name.", javascript=True))).to_be_visible()
        assert not Chat.objects.exists()
    finally:
        context.close()
