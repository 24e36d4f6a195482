"""After a chat an agent answered has ended, the visitor rates it (1–5 stars with an optional
comment, changed by rating again) and asks for the transcript by e-mail, with the server's answer
shown: a success, or why not. A missed chat offers neither."""

import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from tests.factories import AgentFactory
from tests.support.browser import in_a_thread, screenshot, start_visitor_chat
from tests.support.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ended_chat(daphne_server, new_page, sales):
    """A visitor page (390×844) whose chat Alice answered and ended."""
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=(390, 844))
    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Do you ship to Norway?")
    chat = Chat.objects.get()
    in_a_thread(services.chat_accept, actor=alice, chat_id=chat.pk)
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Yes, in 3 days.")
    expect(page.locator(".message.agent")).to_have_count(1)
    in_a_thread(services.chat_end, actor=alice, chat_id=chat.pk)
    expect(page.get_by_text("This chat has ended.")).to_be_visible()
    return page, chat


def test_rating_with_a_comment_and_changing_it(ended_chat):
    page, chat = ended_chat
    rating = page.get_by_role("region", name="How was this chat?")
    expect(rating).to_be_visible()
    send = rating.get_by_role("button", name="Send rating")
    send.click()  # no stars chosen
    expect(rating.get_by_role("alert")).to_have_text("Please choose from 1 to 5 stars.")
    assert Chat.objects.get().rating_score is None

    rating.get_by_role("radio", name="4 stars: good").check()
    expect(rating.locator(".star.lit")).to_have_count(4)
    rating.get_by_label("Comment (optional)").fill("Quick and kind.")
    screenshot(page, "visitor-rating")
    send.click()
    expect(page.locator("#rating-done")).to_have_text("Thank you for your rating (4 of 5).")
    wait_until(lambda: Chat.objects.filter(pk=chat.pk, rating_score=4, rating_comment="Quick and kind.").exists())

    rating.get_by_role("radio", name="5 stars: excellent").check()
    rating.get_by_role("button", name="Change rating").click()
    expect(page.locator("#rating-done")).to_have_text("Thank you for your rating (5 of 5).")
    wait_until(lambda: Chat.objects.filter(pk=chat.pk, rating_score=5).exists())

    page.reload()  # the rating given is shown again
    rating = page.get_by_role("region", name="How was this chat?")
    expect(rating.get_by_role("radio", name="5 stars: excellent")).to_be_checked()
    expect(rating.get_by_label("Comment (optional)")).to_have_value("Quick and kind.")


def test_transcript_by_e_mail_once(ended_chat, daphne_server):
    page, chat = ended_chat
    button = page.get_by_role("button", name="E-mail me the transcript")
    button.click()
    status = page.locator("#transcript-status")
    expect(status).to_have_text("We are sending the transcript to vera@example.org.")
    expect(button).to_be_disabled()
    wait_until(lambda: Chat.objects.get(pk=chat.pk).transcript_emailed_at is not None)
    wait_until(lambda: any("Transcript of your chat" in line for line in daphne_server.lines))
    screenshot(page, "visitor-transcript")

    page.reload()  # asking again: the server's answer is shown
    page.get_by_role("button", name="E-mail me the transcript").click()
    expect(status).to_have_text("The transcript of this chat was already e-mailed.")
    expect(status).to_have_class("after-chat-done error")


def test_a_missed_chat_offers_no_rating(daphne_server, new_page, sales):
    AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page()
    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Hello?")
    page.get_by_role("button", name="End chat").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, end the chat").click()
    expect(page.get_by_text("You ended the chat.")).to_be_visible()
    expect(page.get_by_role("region", name="How was this chat?")).to_have_count(0)
    expect(page.get_by_role("button", name="E-mail me the transcript")).to_have_count(0)
