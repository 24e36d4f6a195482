import pytest
from django.contrib.auth.models import Group
from django.core import mail

from chat import services as chat_services
from helpdesk.actors import SYSTEM, ChatVisitor
from helpdesk.platform.errors import DomainError
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tickets import selectors, services
from tickets.models import Ticket, TicketChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def transcript(agent, sales):
    sales.answered_ticket_status = "open"  # these tests change an open transcript (default: closed)
    sales.save()
    chat = accepted_chat(agent=agent, department=sales, question="Invoice copy?")
    chat_services.message_post(
        actor=ChatVisitor(chat_id=chat.pk, name="V"), chat_id=chat.pk, body="I lost the PDF of my invoice"
    )
    chat_services.chat_end(actor=agent, chat_id=chat.pk)
    return Ticket.objects.get(source_chat=chat)


@pytest.fixture
def missed(sales):
    chat = ChatFactory(department=sales, question="Do you ship to Norway?")
    chat_services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    return Ticket.objects.get(source_chat=chat)


def test_status_and_assignee_changes_are_recorded(transcript, agent, other_agent):
    services.ticket_update(actor=agent, ticket_id=transcript.pk, status="on_hold", assignee=other_agent, assign=True)
    services.ticket_update(
        actor=agent, ticket_id=transcript.pk, status="on_hold", assignee=other_agent, assign=True
    )  # no-op
    changes = list(TicketChange.objects.values_list("field", "old_value", "new_value"))
    assert changes == [("status", "Open", "On Hold"), ("assignee", "Alice", "Bob")]
    with pytest.raises(DomainError):
        services.ticket_update(actor=agent, ticket_id=transcript.pk, status="lost")


def test_comments_append_to_the_thread(transcript, agent):
    entry = services.ticket_comment_add(actor=agent, ticket_id=transcript.pk, body="  Customer called too ")
    assert (entry.kind, entry.body, entry.author_name) == ("comment", "Customer called too", "Alice")
    assert entry.position == 2  # after the question (0) and the one message (1)
    with pytest.raises(DomainError):
        services.ticket_comment_add(actor=agent, ticket_id=transcript.pk, body="   ")


def test_reply_by_email_to_a_missed_chat(missed, transcript, agent):
    entry = services.ticket_reply_by_email(actor=agent, ticket_id=missed.pk, body="Yes, we ship to Norway.")
    assert entry.kind == "reply"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [missed.requester_email] and "Do you ship to Norway?" in sent.subject
    assert sent.body == "Yes, we ship to Norway."
    with pytest.raises(DomainError) as error:
        services.ticket_reply_by_email(actor=agent, ticket_id=transcript.pk, body="hi")
    assert error.value.code == "not_allowed"


def test_failed_email_records_nothing(missed, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    before = missed.thread.count()
    with pytest.raises(DomainError) as error:
        services.ticket_reply_by_email(actor=agent, ticket_id=missed.pk, body="Hello")
    assert error.value.code == "email_failed"
    assert missed.thread.count() == before


def test_views_counts_search_and_sort(transcript, missed, agent, support):
    hidden = ChatFactory(department=support)
    chat_services.chat_end(actor=ChatVisitor.of(hidden), chat_id=hidden.pk)  # another department's ticket
    services.ticket_update(actor=agent, ticket_id=missed.pk, assignee=agent, assign=True)
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


def test_a_ticket_the_agent_cannot_see_is_not_found_and_unchanged(transcript, support):
    outsider = AgentFactory(departments=[support])
    for change in (
        lambda: services.ticket_update(actor=outsider, ticket_id=transcript.pk, status="closed"),
        lambda: services.ticket_comment_add(actor=outsider, ticket_id=transcript.pk, body="pwned"),
        lambda: services.ticket_reply_by_email(actor=outsider, ticket_id=transcript.pk, body="pwned"),
    ):
        with pytest.raises(DomainError) as error:
            change()
        assert error.value.code == "not_found"
    transcript.refresh_from_db()
    assert transcript.status == "open" and transcript.thread.count() == 2 and not mail.outbox


def test_bulk_close_reaches_every_department_for_a_manager_and_names_them(transcript, sales, support):
    hidden = ChatFactory(department=support)
    chat_services.chat_end(actor=ChatVisitor.of(hidden), chat_id=hidden.pk)
    manager = AgentFactory(display_name="Mona", departments=[sales])
    manager.user.groups.add(Group.objects.get(name="Managers"))
    assert services.tickets_close(actor=manager, ticket_ids=[transcript.pk, hidden.ticket.pk]) == 2
    assert set(Ticket.objects.values_list("status", flat=True)) == {"closed"}
    assert list(TicketChange.objects.values_list("changed_by__display_name", flat=True)) == ["Mona", "Mona"]


def test_bulk_close_is_for_the_system_and_agents_who_may_change_tickets(transcript, agent):
    with pytest.raises(DomainError) as error:
        services.tickets_close(actor=agent, ticket_ids=[transcript.pk])
    assert error.value.code == "not_allowed"
    services.tickets_close(actor=SYSTEM, ticket_ids=[transcript.pk])
    assert TicketChange.objects.get().changed_by is None
