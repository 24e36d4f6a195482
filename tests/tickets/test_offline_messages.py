"""POST /api/v1/visitor/offline-messages/ (issue 14): a visitor nobody can answer leaves a message,
which becomes a Missed Chats ticket marked as an offline message, with a confirmation e-mail and the
ticket.created webhook; rate limits and bad-input rules are those of starting a chat. With their
missed chat's id and token the message joins that chat's ticket instead. The ticket pages and API
mark offline messages, and show the rating of a rated chat's transcript ticket."""

import json

import pytest
from celery import current_app
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from chat import services as chat_services
from chat.models import Chat
from helpdesk.actors import ChatVisitor
from helpdesk.models import Webhook, WebhookDelivery
from tests.factories import ChatFactory, accepted_chat
from tests.support.api import api_client_for
from tickets.models import ThreadEntry, Ticket
from tickets.services import ticket_update

pytestmark = pytest.mark.django_db

URL = "/api/v1/visitor/offline-messages/"
MESSAGE = {"name": "Vera", "email": "vera@example.org", "question": "Do you ship to Norway?", "department": "sales"}


@pytest.fixture
def sent_tasks(monkeypatch):
    """Celery tasks sent by name after commit (webhook attempts, chat deadlines), kept here."""
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args, eta=None: sent.append(name))
    return sent


@pytest.fixture
def leave(django_capture_on_commit_callbacks, sent_tasks, published):
    """POST the form as a visitor at `address`, running what waits for the commit (the e-mail;
    frames go to the recording channel layer, tasks to `sent_tasks`)."""

    def post(body, *, address="203.0.113.5", **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return APIClient(REMOTE_ADDR=address).post(URL, body, format="json", **headers)

    return post


@pytest.fixture
def hook(db):
    return Webhook.objects.create(url="https://hooks.example.com/desk", events=["ticket.created"], secret="s")


def confirmations() -> list:
    return [email for email in mail.outbox if email.subject.startswith("We received your message")]


def nothing_written() -> bool:
    return not Ticket.objects.exists() and not ThreadEntry.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_message_becomes_a_missed_chats_ticket_with_a_confirmation_and_the_webhook(sales, leave, hook):
    response = leave({**MESSAGE, "question": "  Do you ship\nto Norway?  "})
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert response.json() == {"ticket_id": ticket.pk}
    assert (ticket.kind, ticket.channel, ticket.status) == ("missed_chat", "offline_message", "open")
    assert (ticket.subject, ticket.requester_name, ticket.requester_email) == (
        "Do you ship to Norway?",
        "Vera",
        "vera@example.org",
    )
    assert ticket.department == sales and ticket.source_chat is None and ticket.assignee is None
    entry = ticket.thread.get()
    assert (entry.position, entry.kind, entry.author_kind, entry.author_name, entry.body) == (
        0,
        "transcript",
        "visitor",
        "Vera",
        "Do you ship\nto Norway?",
    )
    assert ticket.search_text == "Do you ship\nto Norway?"

    [email] = mail.outbox
    assert email.to == ["vera@example.org"] and f"[#{ticket.pk}]" in email.subject
    assert "Do you ship\nto Norway?" in email.body and "Sales" in email.body and f"#{ticket.pk}" in email.body
    [(html, mime)] = email.alternatives
    assert mime == "text/html" and "Do you ship<br>to Norway?" in html

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "ticket.created"
    assert delivery.payload["data"] == {
        "id": ticket.pk,
        "subject": "Do you ship to Norway?",
        "status": "open",
        "view": "Missed Chats",
        "requester": {"name": "Vera", "email": "vera@example.org"},
        "department": "sales",
        "assignee": None,
        "chat_id": None,
    }


def test_without_a_department(db, leave):
    for department in (None, ""):
        assert leave({**MESSAGE, "department": department}).status_code == 201
    body = {key: value for key, value in MESSAGE.items() if key != "department"}
    assert leave(body).status_code == 201
    assert list(Ticket.objects.values_list("department", flat=True)) == [None] * 3
    assert "thank you for your message. Nobody" in mail.outbox[0].body


def test_the_e_mail_is_html_escaped_and_goes_after_commit_only(sales, django_capture_on_commit_callbacks, sent_tasks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = APIClient().post(URL, {**MESSAGE, "question": "<b>bold</b> & more"}, format="json")
    assert response.status_code == 201 and mail.outbox == []  # not before the commit
    for callback in callbacks:
        callback()
    [email] = mail.outbox
    assert "<b>bold</b> & more" in email.body
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in email.alternatives[0][0]


def test_a_mail_that_cannot_be_sent_leaves_the_ticket(sales, leave, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OSError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert leave(MESSAGE).status_code == 201
    assert Ticket.objects.count() == 1 and "not sent" in caplog.text


def test_it_shows_in_missed_chats_in_the_api_and_on_the_pages(sales, agent, leave):
    ticket_id = leave(MESSAGE).json()["ticket_id"]
    api = api_client_for(agent)
    listed = api.get("/api/v1/tickets/?view=missed-chats").json()["results"]
    assert [(t["id"], t["channel"], t["views"], t["chat_id"]) for t in listed] == [
        (ticket_id, "offline_message", ["Missed Chats"], None)
    ]
    detail = api.get(f"/api/v1/tickets/{ticket_id}/").json()
    assert detail["channel"] == "offline_message" and detail["rating"] is None
    assert [entry["body"] for entry in detail["thread"]] == ["Do you ship to Norway?"]
    page = Client()
    page.force_login(agent.user)
    listing = page.get("/tickets/?view=missed-chats").content.decode()
    assert "Do you ship to Norway?" in listing and "Offline message" in listing
    html = page.get(f"/tickets/{ticket_id}/").content.decode()
    assert "Offline message" in html and "from the offline message form" in html and "Reply by e-mail" in html


def test_a_chat_ticket_is_not_marked_as_an_offline_message(sales, agent):
    chat = ChatFactory(department=sales)
    chat_services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    page = Client()
    page.force_login(agent.user)
    assert "Offline message" not in page.get("/tickets/").content.decode()
    assert "Offline message" not in page.get(f"/tickets/{chat.ticket.pk}/").content.decode()


# Bad input: the chat start's rules, field errors, nothing written ----------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"email": None}, "email"),
        ({"question": None}, "question"),
        ({"name": ""}, "name"),
        ({"question": "   "}, "question"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@example.org,b@example.org"}, "email"),
        ({"name": 5}, "name"),
        ({"question": True}, "question"),
        ({"question": ["Do you ship?"]}, "question"),
        ({"department": 3}, "department"),
        ({"email": 7}, "email"),
        ({"name": "Ve\x00ra"}, "name"),
        ({"question": "Do you\x00 ship?"}, "question"),
        ({"department": "sa\x00les"}, "department"),
        ({"name": "\u202eVera"}, "name"),
        ({"name": "System"}, "name"),
        ({"name": "V" * 151}, "name"),
        ({"question": "x" * 2001}, "question"),
        ({"email": "v" * 250 + "@example.org"}, "email"),
        ({"department": "d" * 101}, "department"),
        ({"chat_id": "12"}, "chat_id"),
        ({"chat_id": 0}, "chat_id"),
        ({"chat_id": True}, "chat_id"),
        ({"chat_id": 2**63}, "chat_id"),
    ],
)
def test_bad_input_gets_field_errors_and_writes_nothing(sales, leave, change, field):
    body = {key: value for key, value in {**MESSAGE, **change}.items() if value is not None}
    response = leave(body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json() and response.json()["detail"]
    assert nothing_written() and mail.outbox == []


def test_the_same_field_errors_as_starting_a_chat(sales, leave):
    for body in ({}, {**MESSAGE, "email": "nope", "name": ""}):
        offline = leave(body).json()
        start = APIClient().post("/api/v1/visitor/chats/", body, format="json").json()
        assert offline == start
    assert nothing_written() and not Chat.objects.exists()


def test_an_unknown_department_is_not_found_as_on_a_chat_start(sales, leave):
    response = leave({**MESSAGE, "department": "nope"})
    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "detail": "No department 'nope'.", "department": ["No department 'nope'."]},
    )
    assert nothing_written() and mail.outbox == []


def test_a_body_that_is_not_json_or_too_large_writes_nothing(sales, sent_tasks):
    client = APIClient()
    assert client.post(URL, "name=Vera", content_type="application/x-www-form-urlencoded").status_code == 415
    broken = client.generic("POST", URL, '{"name": "Vera",', content_type="application/json")
    assert (broken.status_code, broken.json()["code"]) == (400, "invalid_json")
    padding = "x" * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    big = client.generic("POST", URL, json.dumps({**MESSAGE, "padding": padding}), content_type="application/json")
    assert (big.status_code, big.json()["code"]) == (413, "too_large")
    assert nothing_written() and mail.outbox == []


def test_only_post(db):
    response = APIClient().get(URL)
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


# Rate limits: those of starting a chat, counted together with chat starts ----------------------------


def test_five_a_minute_per_address_counted_with_chat_starts(sales, leave):
    for n in range(3):
        start = {**MESSAGE, "email": f"s{n}@example.org"}
        started = APIClient(REMOTE_ADDR="203.0.113.9").post("/api/v1/visitor/chats/", start, format="json")
        assert started.status_code == 201
    for n in range(2):
        assert leave({**MESSAGE, "email": f"o{n}@example.org"}, address="203.0.113.9").status_code == 201
    refused = leave({**MESSAGE, "email": "o9@example.org"}, address="203.0.113.9")
    assert (refused.status_code, refused.json()["code"]) == (429, "throttled") and "Retry-After" in refused
    assert "Too many messages" in refused.json()["detail"]
    assert Ticket.objects.count() == 2
    assert leave({**MESSAGE, "email": "o9@example.org"}, address="203.0.113.10").status_code == 201


def test_five_a_minute_per_e_mail_from_any_address(sales, leave):
    for n in range(5):
        assert leave({**MESSAGE, "email": "Vera@Example.org"}, address=f"198.51.100.{n + 1}").status_code == 201
    refused = leave(MESSAGE, address="198.51.100.99")
    assert (refused.status_code, refused.json()["code"]) == (429, "throttled")
    assert Ticket.objects.count() == 5


# With the visitor's own chat: one ticket per chat ----------------------------------------------------


def with_chat(chat, **changes) -> dict:
    return {**MESSAGE, "chat_id": chat.pk, "question": "I waited, here is my question again.", **changes}


def test_a_missed_chat_gets_the_message_on_its_own_ticket(sales, leave, hook):
    chat = ChatFactory(department=sales)
    chat_services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)  # missed
    ticket = Ticket.objects.get(source_chat=chat)
    WebhookDelivery.objects.all().delete()
    response = leave(with_chat(chat), HTTP_X_VISITOR_TOKEN=chat.token)
    assert (response.status_code, response.json()) == (201, {"ticket_id": ticket.pk})
    assert Ticket.objects.count() == 1
    last = ticket.thread.order_by("position").last()
    assert (last.author_kind, last.author_name, last.body) == (
        "visitor",
        chat.visitor.name,
        "I waited, here is my question again.",
    )
    ticket.refresh_from_db()
    assert ticket.channel == "chat" and ticket.search_text.endswith("\nI waited, here is my question again.")
    [email] = confirmations()
    assert email.to == [chat.visitor.email] and f"[#{ticket.pk}]" in email.subject
    assert not WebhookDelivery.objects.exists()  # ticket.created went out when the chat was missed


def test_a_message_on_a_ticket_an_agent_closed_opens_it_again(sales, leave, agent):
    chat = ChatFactory(department=sales)
    chat_services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)  # missed
    ticket = Ticket.objects.get(source_chat=chat)
    ticket_update(actor=agent, ticket_id=ticket.pk, status=Ticket.Status.CLOSED)
    response = leave(with_chat(chat), HTTP_X_VISITOR_TOKEN=chat.token)
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN  # a new question: the agents must see it again
    reopened = ticket.changes.order_by("pk").last()
    assert (reopened.field, reopened.old_value, reopened.new_value, reopened.changed_by) == (
        "status",
        "Closed",
        "Open",
        None,
    )


def test_a_chat_still_waiting_is_given_up_and_becomes_one_ticket_with_the_message(sales, leave):
    chat = ChatFactory(department=sales)
    response = leave(with_chat(chat), HTTP_X_VISITOR_TOKEN=chat.token)
    assert response.status_code == 201
    chat.refresh_from_db()
    ticket = Ticket.objects.get()
    assert chat.status == "missed" and ticket.source_chat == chat and response.json()["ticket_id"] == ticket.pk
    assert ticket.kind == "missed_chat"
    thread = [entry.body for entry in ticket.thread.order_by("position")]
    assert thread[0] == chat.question and thread[-1] == "I waited, here is my question again."
    again = leave(with_chat(chat, question="Anyone?"), HTTP_X_VISITOR_TOKEN=chat.token)
    assert again.json() == {"ticket_id": ticket.pk} and Ticket.objects.count() == 1
    assert ticket.thread.order_by("position").last().body == "Anyone?"


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [(None, 401, "invalid_token"), ("wrong", 401, "invalid_token"), ("other", 403, "not_allowed")],
)
def test_a_chat_needs_its_own_token(sales, leave, token, status, code):
    chat, other = ChatFactory(department=sales), ChatFactory(department=sales)
    headers = {} if token is None else {"HTTP_X_VISITOR_TOKEN": other.token if token == "other" else token}
    response = leave(with_chat(chat), **headers)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert nothing_written() and mail.outbox == []
    assert Chat.objects.filter(status="waiting").count() == 2


def test_a_chat_that_does_not_exist_is_an_invalid_token(sales, leave):
    response = leave({**MESSAGE, "chat_id": 999999}, HTTP_X_VISITOR_TOKEN="whatever")
    assert (response.status_code, response.json()["code"]) == (401, "invalid_token") and nothing_written()


def test_a_chat_an_agent_answers_or_answered_is_refused(sales, agent, leave):
    active = accepted_chat(agent=agent, department=sales)
    response = leave(with_chat(active), HTTP_X_VISITOR_TOKEN=active.token)
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    chat_services.chat_end(actor=agent, chat_id=active.pk)
    entries = ThreadEntry.objects.count()
    response = leave(with_chat(active), HTTP_X_VISITOR_TOKEN=active.token)
    assert (response.status_code, response.json()["code"]) == (409, "chat_closed")
    assert ThreadEntry.objects.count() == entries and Ticket.objects.count() == 1 and confirmations() == []


def test_with_a_chat_the_fields_are_still_checked(sales, leave):
    chat = ChatFactory(department=sales)
    response = leave(with_chat(chat, email="nope"), HTTP_X_VISITOR_TOKEN=chat.token)
    assert response.status_code == 400 and "email" in response.json()
    chat.refresh_from_db()
    assert chat.status == "waiting" and nothing_written()


# The rating on a transcript ticket ------------------------------------------------------------------


def test_a_rated_chats_transcript_ticket_shows_the_rating(sales, agent):
    chat = accepted_chat(agent=agent, department=sales)
    chat_services.chat_end(actor=agent, chat_id=chat.pk)
    Chat.objects.filter(pk=chat.pk).update(rating_score=4, rating_comment="Quick & <kind>")
    ticket = Ticket.objects.get(source_chat=chat)
    detail = api_client_for(agent).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["rating"] == {"score": 4, "comment": "Quick & <kind>"}
    page = Client()
    page.force_login(agent.user)
    html = page.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Rating" in html and "4 of 5" in html and "Quick &amp; &lt;kind&gt;" in html


def test_an_unrated_transcript_ticket_has_no_rating(sales, agent):
    chat = accepted_chat(agent=agent, department=sales)
    chat_services.chat_end(actor=agent, chat_id=chat.pk)
    ticket = Ticket.objects.get(source_chat=chat)
    assert api_client_for(agent).get(f"/api/v1/tickets/{ticket.pk}/").json()["rating"] is None
    page = Client()
    page.force_login(agent.user)
    assert "of 5" not in page.get(f"/tickets/{ticket.pk}/").content.decode()
