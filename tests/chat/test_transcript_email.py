"""Issue 14: after a chat with an agent ends, its visitor may have the transcript e-mailed
(POST /api/v1/visitor/chats/{id}/transcript-email/, X-Visitor-Token): once per chat, to the chat's
visitor e-mail, plain text and HTML, recorded on the chat's ticket, rate-limited per address."""

import re
import threading
import uuid
from datetime import timedelta
from functools import partial
from smtplib import SMTPException

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone
from rest_framework.test import APIClient

from chat import services
from chat.models import Chat
from chat.throttles import TranscriptEmailAddressThrottle
from helpdesk.actors import ChatVisitor
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.throttles import VisitorRateThrottle
from tests.factories import ChatFactory, accepted_chat
from tests.support.api import api_client_for
from tests.support.concurrency import race
from tickets.models import ThreadEntry, Ticket
from tickets.services import ticket_comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_visitor_request_counts(monkeypatch):
    """These tests make many visitor requests from one address: counted apart from other tests'
    (the limit, API_RATE_VISITOR, stays as it is)."""
    monkeypatch.setattr(VisitorRateThrottle, "cache_format", f"throttle_{uuid.uuid4().hex}_%(scope)s_%(ident)s")


VISITOR_LINE = 'Is it <b>late</b> & "lost"?\nIt was due on Monday.'


def url(chat: Chat) -> str:
    return f"/api/v1/visitor/chats/{chat.pk}/transcript-email/"


def ask(chat: Chat, *, token: str | None = None, address: str = "127.0.0.1"):
    headers = {} if token == "" else {"HTTP_X_VISITOR_TOKEN": token or chat.token}
    return APIClient(REMOTE_ADDR=address).post(url(chat), format="json", **headers)


def ended_chat(agent, **kwargs) -> Chat:
    chat = accepted_chat(agent=agent, **kwargs)
    services.chat_end(actor=agent, chat_id=chat.pk)
    chat.refresh_from_db()
    return chat


def conversation(agent, sales) -> Chat:
    """Vera asks, writes HTML-looking text, Alice answers, Vera leaves (a system line); then an
    agent comments on the ticket, which is internal."""
    chat = accepted_chat(
        agent=agent,
        department=sales,
        question="Where is\norder 7?",
        visitor__name="Vera <3",
        visitor__email="vera@example.org",
    )
    visitor = ChatVisitor.of(chat)
    services.message_post(actor=visitor, chat_id=chat.pk, body=VISITOR_LINE)
    services.message_post(actor=agent, chat_id=chat.pk, body="It left the warehouse today.")
    services.chat_end(actor=visitor, chat_id=chat.pk)
    chat.refresh_from_db()
    ticket_comment_add(actor=agent, ticket_id=chat.ticket.pk, body="Internal: <i>offer a voucher</i>")
    return chat


def events_on_ticket(chat: Chat) -> list[str]:
    ticket = Ticket.objects.get(source_chat=chat)
    return list(ticket.thread.filter(kind=ThreadEntry.Kind.EVENT).values_list("body", flat=True))


def test_the_transcript_is_e_mailed_once_in_text_and_html(sales, agent):
    chat = conversation(agent, sales)
    response = ask(chat)
    assert response.status_code == 202, response.content
    assert response.json() == {"email": "vera@example.org"}

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["vera@example.org"] and not sent.cc and not sent.bcc
    assert sent.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert sent.subject == "Transcript of your chat: Where is order 7?"  # on one line

    text = sent.body
    assert "Hello Vera <3," in text and "with Sales" in text
    assert re.search(r"\[\d\d:\d\d\] Vera <3: Where is\norder 7\?", text)
    assert re.search(r"\[\d\d:\d\d\] Vera <3: " + re.escape(VISITOR_LINE), text)  # as written, not escaped
    assert re.search(r"\[\d\d:\d\d\] Alice: It left the warehouse today\.", text)
    assert re.search(r"\[\d\d:\d\d\] System: Visitor left the chat", text)
    assert text.index("Where is") < text.index("<b>late</b>") < text.index("warehouse") < text.index("Visitor left")
    assert "&lt;" not in text and "&amp;" not in text

    [(html, mimetype)] = sent.alternatives
    assert mimetype == "text/html"
    assert "Hello Vera &lt;3," in html and "<strong>Alice</strong>" in html and "<strong>System</strong>" in html
    assert "Is it &lt;b&gt;late&lt;/b&gt; &amp; &quot;lost&quot;?<br>It was due on Monday." in html
    assert "<b>late" not in html and "Vera <3" not in html
    assert "Where is<br>order 7?" in html and "Visitor left the chat" in html

    for body in (text, html):  # the ticket's internal comment is the agents' alone
        assert "voucher" not in body and "Internal" not in body

    chat.refresh_from_db()
    assert chat.transcript_emailed_at is not None
    assert events_on_ticket(chat) == ["Transcript e-mailed to vera@example.org"]
    event = Ticket.objects.get(source_chat=chat).thread.get(kind=ThreadEntry.Kind.EVENT)
    assert (event.author_kind, event.author_name) == ("system", "System")


def test_a_second_request_is_refused_and_sends_nothing(sales, agent):
    chat = conversation(agent, sales)
    assert ask(chat).status_code == 202
    again = ask(chat)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert "already e-mailed" in again.json()["detail"]
    assert len(mail.outbox) == 1
    assert events_on_ticket(chat) == ["Transcript e-mailed to vera@example.org"]


def test_a_long_question_makes_a_short_subject(agent):
    chat = ended_chat(agent, question="Why " * 100)
    assert ask(chat).status_code == 202
    subject = mail.outbox[0].subject
    assert subject.startswith("Transcript of your chat: Why Why") and subject.endswith("…")
    assert len(subject) == len("Transcript of your chat: ") + 100


def test_a_wrong_or_missing_token_is_refused(agent):
    chat = ended_chat(agent)
    other = ended_chat(agent)
    for token, status, code in [
        ("", 401, "invalid_token"),
        ("not-the-token", 401, "invalid_token"),
        (other.token, 403, "not_allowed"),  # another chat's token
    ]:
        response = ask(chat, token=token)
        assert (response.status_code, response.json()["code"]) == (status, code)
    token_in_query = APIClient().post(f"{url(chat)}?token={chat.token}", format="json")
    assert token_in_query.status_code == 401  # the header only
    signed_in = api_client_for(agent).post(url(chat), format="json")
    assert signed_in.status_code == 401 and signed_in.json()["code"] == "invalid_token"
    assert not mail.outbox
    assert Chat.objects.filter(transcript_emailed_at__isnull=False).count() == 0


def test_only_the_visitor_may_ask(agent):
    chat = ended_chat(agent)
    with pytest.raises(DomainError) as refused:
        services.chat_email_transcript(actor=agent, chat_id=chat.pk)
    assert refused.value.code == ErrorCode.NOT_ALLOWED
    with pytest.raises(DomainError) as refused:
        services.chat_email_transcript(actor=ChatVisitor(chat_id=chat.pk + 1, name="Vera"), chat_id=chat.pk)
    assert refused.value.code == ErrorCode.NOT_ALLOWED
    assert not mail.outbox


@pytest.mark.parametrize("status", [Chat.Status.WAITING, Chat.Status.ACTIVE, Chat.Status.ENDING])
def test_not_before_the_chat_has_ended(agent, status):
    if status == Chat.Status.WAITING:
        chat = ChatFactory()
    else:
        chat = accepted_chat(agent=agent, status=status, ends_at=timezone.now() + timedelta(minutes=1))
    response = ask(chat)
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert "not ended yet" in response.json()["detail"]
    chat.refresh_from_db()
    assert chat.transcript_emailed_at is None and not mail.outbox


def test_not_for_a_missed_chat(sales):
    chat = ChatFactory(department=sales)
    services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)  # left while waiting: missed
    response = ask(chat)
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    assert "No agent answered" in response.json()["detail"]
    chat.refresh_from_db()
    assert chat.transcript_emailed_at is None and not mail.outbox and events_on_ticket(chat) == []


def test_not_once_the_token_has_expired(agent):
    chat = ended_chat(agent)
    ttl = django_settings.VISITOR_TOKEN_TTL_AFTER_END_SECONDS
    Chat.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - timedelta(seconds=ttl + 1))
    response = ask(chat)
    assert response.status_code == 401 and response.json()["code"] == "token_expired"
    with pytest.raises(DomainError) as refused:  # a visitor actor held since before the expiry
        services.chat_email_transcript(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    assert refused.value.code == ErrorCode.TOKEN_EXPIRED
    chat.refresh_from_db()
    assert chat.transcript_emailed_at is None and not mail.outbox


def test_a_failed_send_is_reported_and_may_be_tried_again(agent, monkeypatch):
    chat = ended_chat(agent)

    def refuse(self, messages):
        raise SMTPException("451 try again later")

    with monkeypatch.context() as patched:
        patched.setattr(EmailBackend, "send_messages", refuse)
        failed = ask(chat)
    assert failed.status_code == 503 and failed.json()["code"] == "email_failed"
    chat.refresh_from_db()
    assert chat.transcript_emailed_at is None and events_on_ticket(chat) == []
    assert ask(chat).status_code == 202
    assert len(mail.outbox) == 1 and len(events_on_ticket(chat)) == 1


def test_asking_is_rate_limited_per_address(agent, settings):
    settings.TRANSCRIPT_EMAIL_RATE_IP = "2/hour"
    chats = [ended_chat(agent) for _ in range(3)]
    assert ask(chats[0], address="203.0.113.5").status_code == 202
    assert ask(chats[1], address="203.0.113.5").status_code == 202
    refused = ask(chats[2], address="203.0.113.5")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert "Too many transcripts" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert len(mail.outbox) == 2
    assert ask(chats[2], address="203.0.113.6").status_code == 202  # another address
    missing_token = ask(chats[2], token="", address="203.0.113.5")
    assert missing_token.status_code == 401 and missing_token.json()["code"] == "invalid_token"  # not counted


def test_the_rate_limit_defaults_to_ten_an_hour_and_can_be_lifted(agent, settings):
    assert TranscriptEmailAddressThrottle().get_rate() == "10/hour"
    settings.TRANSCRIPT_EMAIL_RATE_IP = ""
    chats = [ended_chat(agent) for _ in range(12)]
    assert [ask(chat).status_code for chat in chats] == [202] * 12


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_send_one_e_mail(agent):
    chat = ended_chat(agent)
    outcomes = race(*[partial(services.chat_email_transcript, actor=ChatVisitor.of(chat), chat_id=chat.pk)] * 4)
    assert sorted(outcomes) == ["conflict"] * 3 + ["ok"]
    assert len(mail.outbox) == 1
    assert len(events_on_ticket(chat)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_api_requests_at_once_send_one_e_mail(agent):
    chat = ended_chat(agent)
    statuses = []
    lock = threading.Lock()

    def post():
        status = ask(chat).status_code
        with lock:
            statuses.append(status)

    race(post, post)
    assert sorted(statuses) == [202, 409]
    assert len(mail.outbox) == 1
