"""Nobody can answer: the visitor page shows the department's away message and the offline
message form at once (with the opening time, in the visitor's language and time zone, when the
department is closed), its field errors from the server, and a confirmation; the message is a
Missed Chats ticket and the visitor gets a confirmation e-mail. The department's greeting and
colour show on the form. When the last agent goes while the visitor waits, the form appears in
place of the chat, filled with what they wrote, and adds to that chat's ticket."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from helpdesk.models import Agent, Department, OpeningHours
from tests.factories import AgentFactory
from tests.support.browser import in_a_thread, screenshot, start_visitor_chat
from tests.support.languages import translated
from tests.support.processes import wait_until
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

GERMAN_WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]


def fill(page, *, name="Vera", email="vera@example.org", message="Do you ship to Norway?"):
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name="Message", exact=True).fill(message)


def test_nobody_available_shows_the_offline_form_at_once_and_leaves_a_ticket(daphne_server, new_page, sales):
    Department.objects.filter(pk=sales.pk).update(
        away_message="We are out for lunch.\nLeave a message!", greeting="Sales answers fast", widget_colour="#0f766e"
    )
    AgentFactory(display_name="Otto Offline", departments=[sales], chat_status=Agent.ChatStatus.OFFLINE)
    AgentFactory(display_name="Carol Closed", departments=[sales], connected=False)  # Online, browser closed
    page = new_page(viewport=(390, 844))
    page.goto(f"{daphne_server.url}/chat/?department=sales")

    notice = page.locator("#away-notice")
    expect(notice).to_contain_text("Nobody can answer right now")
    expect(notice).to_contain_text("We are out for lunch.")
    expect(page.get_by_role("heading", name="Leave us a message")).to_be_visible()
    send = page.get_by_role("button", name="Send message")
    expect(send).to_be_enabled()
    expect(page.get_by_role("button", name="Start chat")).to_have_count(0)
    assert page.locator(".visitor-head").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(15, 118, 110)"
    screenshot(page, "visitor-offline-form")

    send.click()  # empty: the page's own checks
    expect(page.locator("#error-question")).to_have_text("Please write your message.")
    fill(page, name="System")  # refused by the server: its field error, in place
    send.click()
    expect(page.locator("#error-name")).to_contain_text('"System" is reserved')
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    assert not Ticket.objects.exists()

    page.get_by_label("Name").fill("Vera")
    send.click()
    confirmation = page.get_by_role("heading", name="Thank you, we got your message")
    expect(confirmation).to_be_focused()
    ticket = Ticket.objects.get()
    expect(page.locator("#offline-sent")).to_contain_text("vera@example.org")
    expect(page.locator("#offline-sent")).to_contain_text(f"#{ticket.pk}")
    screenshot(page, "visitor-offline-sent")
    assert (ticket.channel, ticket.kind, ticket.requester_email) == (
        Ticket.Channel.OFFLINE_MESSAGE,
        Ticket.Kind.MISSED_CHAT,
        "vera@example.org",
    )
    assert ticket.department == sales
    assert not Chat.objects.exists()
    # The confirmation e-mail, printed by the server's console e-mail backend.
    wait_until(lambda: any("To: vera@example.org" in line for line in daphne_server.lines))


def test_any_department_is_offline_only_when_every_department_is(daphne_server, new_page, sales, support):
    Department.objects.filter(pk=support.pk).update(greeting="Support answers within the hour")
    AgentFactory(display_name="Sam Support", departments=[support])
    page = new_page()
    page.goto(f"{daphne_server.url}/chat/")
    expect(page.get_by_role("button", name="Start chat")).to_be_enabled()  # Support can answer
    page.get_by_label("Department").select_option(label="Sales")
    expect(page.get_by_role("button", name="Send message")).to_be_visible()
    expect(page.locator("#away-notice")).to_contain_text("Leave us a message and we will answer you by e-mail.")
    page.get_by_label("Department").select_option(label="Support")
    expect(page.get_by_role("button", name="Start chat")).to_be_visible()
    expect(page.locator("#away-notice")).to_be_hidden()
    expect(page.locator("#visitor-subtitle")).to_have_text("Support answers within the hour")
    page.get_by_label("Department").select_option(label="Any department")
    expect(page.get_by_role("button", name="Start chat")).to_be_visible()


def test_the_last_agent_leaving_while_the_page_is_open_turns_start_into_the_offline_form(
    daphne_server, new_page, sales
):
    otto = AgentFactory(display_name="Otto", departments=[sales])
    page = new_page()
    # Otto goes only once the page has read who is there (else the page reads "nobody" at load).
    with page.expect_response(lambda response: "/api/v1/departments/" in response.url):
        page.goto(f"{daphne_server.url}/chat/?department=sales")
    expect(page.get_by_role("button", name="Start chat")).to_be_enabled()
    Agent.objects.filter(pk=otto.pk).update(chat_status=Agent.ChatStatus.OFFLINE)
    page.get_by_label("Name").fill("Vera")
    page.get_by_label("Email").fill("vera@example.org")
    page.get_by_label("Question").fill("Hello?")
    page.get_by_role("button", name="Start chat").click()  # asks again first: nobody now
    expect(page.locator("#error-form")).to_contain_text("Nobody can chat right now")
    send = page.get_by_role("button", name="Send message")
    expect(send).to_be_focused()
    assert not Chat.objects.exists()
    send.click()
    expect(page.get_by_role("heading", name="Thank you, we got your message")).to_be_visible()
    assert Ticket.objects.get().channel == Ticket.Channel.OFFLINE_MESSAGE


@pytest.fixture
def german_page(browser):
    """A page in German, in Berlin's time zone, failing the test on any script error or dialog."""
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", viewport={"width": 800, "height": 800})
    context.set_default_timeout(10_000)
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"unexpected dialog: {dialog.message}"))
    yield page
    context.close()
    assert errors == []


def test_outside_business_hours_the_form_says_when_the_department_opens(daphne_server, german_page, sales):
    AgentFactory(display_name="Alice Agent", departments=[sales])  # there, but the department is closed
    Department.objects.filter(pk=sales.pk).update(time_zone="UTC", away_message="Back soon.")
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    OpeningHours.objects.create(department=sales, weekday=day.weekday(), opens=time(9), closes=time(17))
    opening = datetime.combine(day, time(9), tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))

    german_page.goto(f"{daphne_server.url}/chat/?department=sales")
    notice = german_page.locator("#away-notice")
    # The browser asks for German: the page speaks it (the manager's away message stays as written).
    expect(notice).to_contain_text(translated("de", "We are closed right now", javascript=True))
    expect(notice).to_contain_text("Back soon.")
    opens = german_page.locator("#away-opens")
    expect(opens).to_contain_text(GERMAN_WEEKDAYS[opening.weekday()])  # the visitor's language
    expect(opens).to_contain_text(f"{opening:%H:%M}")  # and time zone
    screenshot(german_page, "visitor-offline-closed")
    expect(german_page.get_by_role("button", name=translated("de", "Send message", javascript=True))).to_be_visible()


def test_the_last_agent_going_offline_while_the_visitor_waits_offers_the_form_with_what_they_wrote(
    daphne_server, celery_worker, new_page, sales
):
    alice = AgentFactory(display_name="Alice Agent", departments=[sales], ringer=False)
    page = new_page(viewport=(390, 844))
    start_visitor_chat(page, daphne_server, name="Vera", email="vera@example.org", question="Do you ship to Norway?")
    expect(page.get_by_text("You are number 1 in the queue")).to_be_visible()  # came over the open socket
    page.get_by_role("textbox", name="Message").fill("To Oslo, please.")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(page.locator(".message.visitor")).to_have_count(1)

    in_a_thread(services.agent_update_chat_settings, actor=alice, chat_status=Agent.ChatStatus.OFFLINE)
    expect(page.locator("#away-notice")).to_contain_text("Sorry, nobody can answer right now")
    message = page.get_by_role("textbox", name="Message", exact=True)
    expect(message).to_have_value("Do you ship to Norway?\n\nTo Oslo, please.")
    expect(message).to_be_focused()
    expect(page.get_by_label("Name")).to_have_value("Vera")
    expect(page.get_by_label("Email")).to_have_value("vera@example.org")
    expect(page.get_by_label("Department")).to_be_hidden()  # the chat's own
    chat = Chat.objects.get()
    assert (chat.status, chat.missed_reason) == (Chat.Status.MISSED, "no_agents")
    ticket = Ticket.objects.get(source_chat=chat)

    message.fill(message.input_value() + "\nAny day is fine.")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("heading", name="Thank you, we got your message")).to_be_visible()
    expect(page.locator("#offline-sent")).to_contain_text(f"#{ticket.pk}")
    assert Ticket.objects.count() == 1  # the chat's ticket, not a second one
    assert ticket.thread.filter(body__endswith="Any day is fine.").exists()
    page.reload()  # the chat is over: a fresh form
    expect(page.get_by_label("Name")).to_have_value("")
