import pytest
from django.core import mail

from chat import services as chat_services
from helpdesk.errors import DomainError
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tickets import selectors, services
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def transcript(agent, sales):
    chat = accepted_chat(agent=agent, department=sales, question="Invoice copy?")
    chat_services.message_post(
        chat_id=chat.pk, body="I lost the PDF of my invoice", sender_kind="visitor", sender_name="V"
    )
    chat_services.chat_end(chat_id=chat.pk, agent=agent)
    return Ticket.objects.get(source_chat=chat)


@pytest.fixture
def missed(sales):
    chat = ChatFactory(department=sales, question="Do you ship to Norway?")
    chat_services.chat_visitor_leave(chat=chat)
    return Ticket.objects.get(source_chat=chat)


def test_status_and_assignee_changes_are_recorded(transcript, agent, other_agent):
    services.ticket_update(ticket=transcript, by=agent, status="on_hold", assignee=other_agent, assign=True)
    services.ticket_update(ticket=transcript, by=agent, status="on_hold", assignee=other_agent, assign=True)  # no-op
    changes = list(TicketChange.objects.values_list("field", "old_value", "new_value"))
    assert changes == [("status", "Open", "On Hold"), ("assignee", "Alice", "Bob")]
    with pytest.raises(DomainError):
        services.ticket_update(ticket=transcript, by=agent, status="lost")


def test_comments_append_to_the_thread(transcript, agent):
    entry = services.ticket_comment_add(ticket=transcript, body="  Customer called too ", by=agent)
    assert (entry.kind, entry.body, entry.author_name) == ("comment", "Customer called too", "Alice")
    assert entry.position == 2  # after the question (0) and the one message (1)
    with pytest.raises(DomainError):
        services.ticket_comment_add(ticket=transcript, body="   ", by=agent)


def test_reply_by_email_to_a_missed_chat(missed, transcript, agent):
    entry = services.ticket_reply_by_email(ticket=missed, body="Yes, we ship to Norway.", by=agent)
    assert entry.kind == "reply"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [missed.requester_email] and "Do you ship to Norway?" in sent.subject
    assert sent.body == "Yes, we ship to Norway."
    with pytest.raises(DomainError) as error:
        services.ticket_reply_by_email(ticket=transcript, body="hi", by=agent)
    assert error.value.code == "not_allowed"


def test_failed_email_records_nothing(missed, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    before = missed.thread.count()
    with pytest.raises(DomainError) as error:
        services.ticket_reply_by_email(ticket=missed, body="Hello", by=agent)
    assert error.value.code == "email_failed"
    assert missed.thread.count() == before


def test_views_counts_search_and_sort(transcript, missed, agent, support):
    hidden = ChatFactory(department=support)
    chat_services.chat_visitor_leave(chat=hidden)  # another department's ticket
    services.ticket_update(ticket=missed, by=agent, assignee=agent, assign=True)
    counts = selectors.view_counts(agent=agent)
    assert counts == {"all": 2, "open": 2, "mine": 2, "chat-transcripts": 1, "missed-chats": 1}
    assert list(selectors.tickets_listed(agent=agent, query="invoice")) == [transcript]  # subject
    assert list(selectors.tickets_listed(agent=agent, query="PDF")) == [transcript]  # transcript text
    assert list(selectors.tickets_listed(agent=agent, query=missed.requester_email)) == [missed]
    assert list(selectors.tickets_listed(agent=agent, sort="oldest")) == [transcript, missed]
    with pytest.raises(DomainError):
        selectors.tickets_listed(agent=agent, sort="random")


def test_other_agents_tickets_are_not_mine(transcript, sales):
    colleague = AgentFactory(departments=[sales])
    assert selectors.view_counts(agent=colleague)["mine"] == 0
