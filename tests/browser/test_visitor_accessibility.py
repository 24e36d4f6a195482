"""axe-core (axe-playwright-python) on the visitor's side: /chat/ with its form, waiting, chatting,
ended (the rating and transcript form), with the end-while-waiting confirmation open, and as the
offline message form with its confirmation; the widget's iframe on /demo/: no serious or critical
violation."""

import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from helpdesk.models import Department
from tests.factories import AgentFactory
from tests.support.accessibility import assert_accessible
from tests.support.browser import in_a_thread, start_visitor_chat
from tests.support.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(sales):
    return AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_visitor_page_in_each_state(daphne_server, new_page, alice, viewport):
    page = new_page(viewport=viewport)
    page.goto(f"{daphne_server.url}/chat/")
    expect(page.get_by_role("button", name="Start chat")).to_be_enabled()
    assert_accessible(page)  # the form (its subtitle's contrast included)
    page.get_by_role("button", name="Start chat").click()
    expect(page.locator("#error-name")).to_be_visible()
    assert_accessible(page)  # with field errors

    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Refund?")
    assert_accessible(page)  # waiting
    page.get_by_role("button", name="End chat").click()
    expect(page.get_by_role("dialog", name="End this chat?")).to_be_visible()
    assert_accessible(page)  # the confirmation
    page.get_by_role("button", name="Keep waiting").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    chat = Chat.objects.get()
    in_a_thread(services.chat_accept, actor=alice, chat_id=chat.pk)
    in_a_thread(services.message_post, actor=alice, chat_id=chat.pk, body="Hello Vera, how can I help?")
    expect(page.locator(".message.agent")).to_have_count(1)
    assert_accessible(page)  # chatting

    in_a_thread(services.chat_end, actor=alice, chat_id=chat.pk)
    expect(page.get_by_role("heading", name="How was this chat?")).to_be_visible()
    assert_accessible(page)  # ended: the rating and the transcript request


def test_widget_iframe(daphne_server, new_page, alice):
    page = new_page()
    page.goto(f"{daphne_server.url}/demo/")
    assert_accessible(page)  # the demo page with the closed launcher
    page.get_by_role("button", name="Chat with us").click()
    widget = page.frame_locator("iframe[title='Live chat']")
    expect(widget.get_by_role("button", name="Start chat")).to_be_enabled()
    frame = wait_until(lambda: next((f for f in page.frames if "/chat/?embed=1" in f.url), None))
    assert_accessible(frame)  # the form inside the iframe, with its close button
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.locator("#error-name")).to_be_visible()
    assert_accessible(frame)
    widget.get_by_label("Name").fill("Vera")
    widget.get_by_label("Email").fill("vera@example.org")
    widget.get_by_label("Question").fill("Refund?")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.get_by_text("Waiting for an agent")).to_be_visible()
    assert_accessible(frame)


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_offline_form_and_its_confirmation(daphne_server, new_page, sales, viewport):
    Department.objects.filter(pk=sales.pk).update(away_message="Back at nine.", widget_colour="#fde047")  # light
    page = new_page(viewport=viewport)
    page.goto(f"{daphne_server.url}/chat/?department=sales")  # nobody there
    send = page.get_by_role("button", name="Send message")
    expect(send).to_be_enabled()
    assert_accessible(page)  # the away notice and the form, dark text on the light colour
    send.click()
    expect(page.locator("#error-question")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("Vera")
    page.get_by_label("Email").fill("vera@example.org")
    page.get_by_role("textbox", name="Message", exact=True).fill("Do you ship to Norway?")
    send.click()
    expect(page.get_by_role("heading", name="Thank you, we got your message")).to_be_visible()
    assert_accessible(page)
