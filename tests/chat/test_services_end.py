from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from chat import services
from chat.models import Chat
from helpdesk.actors import ChatVisitor
from helpdesk.platform.errors import DomainError
from helpdesk.platform.events import chat_group
from tests.factories import ChatFactory, accepted_chat
from tests.support.concurrency import race
from tests.support.events import frames_to
from tickets.models import Ticket


@pytest.mark.django_db
def test_end_now_writes_one_transcript_ticket(agent, published, django_capture_on_commit_callbacks):
    chat = accepted_chat(agent=agent, question="Refund for order 7?")
    services.message_post(actor=ChatVisitor(chat_id=chat.pk, name=chat.visitor.name), chat_id=chat.pk, body="Hi")
    services.message_post(actor=agent, chat_id=chat.pk, body="Sure")
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=0)
        services.chat_end(actor=agent, chat_id=chat.pk)  # a second end changes nothing
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ENDED and chat.ended_at
    ticket = Ticket.objects.get()
    assert ticket.kind == Ticket.Kind.CHAT_TRANSCRIPT and ticket.source_chat == chat
    assert ticket.subject == "Refund for order 7?"
    assert (ticket.requester_name, ticket.requester_email) == (chat.visitor.name, chat.visitor.email)
    assert ticket.channel == "chat" and ticket.assignee == agent
    assert [(e.author_kind, e.body) for e in ticket.thread.all()] == [
        ("visitor", "Refund for order 7?"),
        ("visitor", "Hi"),
        ("agent", "Sure"),
    ]
    assert list(ticket.agents.all()) == [agent]
    assert frames_to(published, chat_group(chat.pk)) == [
        {"type": "chat.ended", "chat_id": chat.pk, "ticket_id": ticket.pk}
    ]


@pytest.mark.django_db
def test_schedule_end_stores_the_moment_and_cancel_clears_it(agent, published, django_capture_on_commit_callbacks):
    chat = accepted_chat(agent=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=30)
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ENDING
    assert timedelta(seconds=29) < chat.ends_at - timezone.now() <= timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_cancel_end(actor=agent, chat_id=chat.pk)
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ACTIVE and chat.ends_at is None
    assert [f["type"] for f in frames_to(published, chat_group(chat.pk))] == ["chat.ending", "chat.end_cancelled"]
    # The countdown firing after the cancel changes nothing.
    assert services.chat_end_when_due(chat_id=chat.pk) is None
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ACTIVE and not Ticket.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("delay", [-1, 3601, "10", 1.5, True, None])
def test_delay_out_of_range_is_refused(agent, delay):
    chat = accepted_chat(agent=agent)
    with pytest.raises(DomainError) as error:
        services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=delay)
    assert error.value.code == "invalid"
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ACTIVE


@pytest.mark.django_db
def test_due_end_runs_once_and_not_before_its_time(agent):
    chat = accepted_chat(agent=agent)
    services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=60)
    assert services.chat_end_when_due(chat_id=chat.pk) is None  # not due yet
    Chat.objects.filter(pk=chat.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert services.chat_end_when_due(chat_id=chat.pk).status == Chat.Status.ENDED
    assert services.chat_end_when_due(chat_id=chat.pk) is None
    assert Ticket.objects.filter(source_chat=chat).count() == 1


@pytest.mark.django_db
def test_only_participants_end_and_cancel(agent, other_agent):
    chat = accepted_chat(agent=agent)
    for action in (
        lambda: services.chat_schedule_end(actor=other_agent, chat_id=chat.pk, delay_seconds=0),
        lambda: services.chat_schedule_end(actor=other_agent, chat_id=chat.pk, delay_seconds=5),
        lambda: services.chat_cancel_end(actor=other_agent, chat_id=chat.pk),
    ):
        with pytest.raises(DomainError) as error:
            action()
        assert error.value.code == "not_allowed"
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ACTIVE


@pytest.mark.django_db
def test_cancel_without_scheduled_end_and_end_of_ended_chat(agent):
    chat = accepted_chat(agent=agent)
    with pytest.raises(DomainError) as error:
        services.chat_cancel_end(actor=agent, chat_id=chat.pk)
    assert error.value.code == "not_ending"
    services.chat_end(actor=agent, chat_id=chat.pk)
    with pytest.raises(DomainError) as error:
        services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=5)
    assert error.value.code == "chat_closed"


@pytest.mark.django_db
def test_missed_deadline_turns_waiting_chat_into_missed_chats_ticket(
    sales, agent, published, django_capture_on_commit_callbacks
):
    chat = ChatFactory(department=sales, question="Do you ship to Norway?")
    services.message_post(actor=ChatVisitor(chat_id=chat.pk, name=chat.visitor.name), chat_id=chat.pk, body="Hello?")
    assert services.chat_mark_missed_when_due(chat_id=chat.pk) is None  # deadline not reached
    Chat.objects.filter(pk=chat.pk).update(missed_deadline=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_mark_missed_when_due(chat_id=chat.pk)
        services.chat_mark_missed_when_due(chat_id=chat.pk)
    chat.refresh_from_db()
    assert chat.status == Chat.Status.MISSED
    ticket = Ticket.objects.get()
    assert ticket.kind == Ticket.Kind.MISSED_CHAT and ticket.subject == "Do you ship to Norway?"
    assert (ticket.requester_name, ticket.requester_email) == (chat.visitor.name, chat.visitor.email)
    assert [e.body for e in ticket.thread.all()] == ["Do you ship to Norway?", "Hello?"]
    assert frames_to(published, chat_group(chat.pk)) == [
        {"type": "chat.missed", "chat_id": chat.pk, "ticket_id": ticket.pk, "reason": "no_answer"}
    ]


@pytest.mark.django_db
def test_visitor_leaving_before_accept_is_a_missed_chat(sales):
    chat = ChatFactory(department=sales)
    services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    chat.refresh_from_db()
    assert chat.status == Chat.Status.MISSED
    assert Ticket.objects.get().kind == Ticket.Kind.MISSED_CHAT


@pytest.mark.django_db
def test_accepted_chat_is_never_marked_missed(agent):
    chat = accepted_chat(agent=agent, missed_deadline=timezone.now() - timedelta(seconds=5))
    assert services.chat_mark_missed_when_due(chat_id=chat.pk) is None
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_ends_racing_each_other_and_the_due_task_write_one_ticket(agent):
    chat = accepted_chat(agent=agent, status=Chat.Status.ENDING, ends_at=timezone.now() - timedelta(seconds=1))
    outcomes = race(
        *[partial(services.chat_end, chat_id=chat.pk, actor=agent)] * 3,
        *[partial(services.chat_end_when_due, chat_id=chat.pk)] * 3,
    )
    assert outcomes == ["ok"] * 6
    assert Ticket.objects.filter(source_chat=chat).count() == 1
    chat.refresh_from_db()
    assert chat.status == Chat.Status.ENDED


@pytest.mark.django_db
def test_visitor_leaving_an_active_chat_says_so_in_the_conversation(
    agent, published, django_capture_on_commit_callbacks
):
    chat = accepted_chat(agent=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    sent = [frame for frame in frames_to(published, chat_group(chat.pk))]
    left = [frame for frame in sent if frame["type"] == "message"]
    assert [(frame["sender"]["kind"], frame["body"]) for frame in left] == [("system", "Visitor left the chat")]
    assert sent[-1]["type"] == "chat.ended"  # the line comes before the end
    assert "Visitor left the chat" in [entry.body for entry in Ticket.objects.get(source_chat=chat).thread.all()]
    # an agent ending it writes no such line
    other = accepted_chat(agent=agent)
    services.chat_end(actor=agent, chat_id=other.pk)
    assert not other.messages.filter(body="Visitor left the chat").exists()
