"""Why a chat was missed (Chat.missed_reason, the `chat.missed` frame's `reason`): "abandoned" when
its visitor ends it while it waits, "no_answer" when nobody accepted it in time. Either way it is
one Missed Chats ticket."""

from datetime import timedelta
from functools import partial

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import frames, services
from chat.models import Chat
from helpdesk.actors import SYSTEM, ChatVisitor
from helpdesk.platform.events import agent_group, chat_group
from tests.factories import ChatFactory
from tests.support.concurrency import race
from tests.support.events import frames_to
from tests.support.sockets import next_frame, probe, receive_type, visitor_socket
from tickets.models import Ticket


def missed_frames(published, chat) -> list[dict]:
    return [f for f in frames_to(published, chat_group(chat.pk)) if f["type"] == "chat.missed"]


@pytest.mark.django_db
def test_a_visitor_ending_a_waiting_chat_abandons_it_and_the_ticket_keeps_the_question(
    sales, agent, published, django_capture_on_commit_callbacks
):
    chat = ChatFactory(department=sales, question="Can I return a gift?")
    visitor = ChatVisitor.of(chat)
    services.message_post(actor=visitor, chat_id=chat.pk, body="It came without a receipt.")
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=visitor, chat_id=chat.pk)
    chat.refresh_from_db()
    assert (chat.status, chat.missed_reason) == (Chat.Status.MISSED, "abandoned")
    ticket = Ticket.objects.get(source_chat=chat)
    assert ticket.kind == Ticket.Kind.MISSED_CHAT
    assert [e.body for e in ticket.thread.all()] == ["Can I return a gift?", "It came without a receipt."]
    assert missed_frames(published, chat) == [
        {"type": "chat.missed", "chat_id": chat.pk, "ticket_id": ticket.pk, "reason": "abandoned"}
    ]
    # The agents' popups and waiting lists let it go as before.
    withdrawn = [f for f in frames_to(published, agent_group(agent.pk)) if f["type"] == "chat.offer_withdrawn"]
    assert [(f["chat_id"], f["reason"]) for f in withdrawn] == [(chat.pk, "missed")]


@pytest.mark.django_db
def test_ending_it_again_changes_nothing_and_sends_nothing(sales, published, django_capture_on_commit_callbacks):
    chat = ChatFactory(department=sales)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
        services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    assert Ticket.objects.filter(source_chat=chat).count() == 1
    assert len(missed_frames(published, chat)) == 1
    chat.refresh_from_db()
    assert chat.missed_reason == "abandoned"


@pytest.mark.django_db
def test_nobody_accepting_in_time_is_no_answer(sales, published, django_capture_on_commit_callbacks):
    chat = ChatFactory(department=sales, missed_deadline=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_mark_missed_when_due(chat_id=chat.pk)
    chat.refresh_from_db()
    assert (chat.status, chat.missed_reason) == (Chat.Status.MISSED, "no_answer")
    assert [f["reason"] for f in missed_frames(published, chat)] == ["no_answer"]
    # Too late for the visitor to abandon it: it stays as it was.
    services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)
    chat.refresh_from_db()
    assert chat.missed_reason == "no_answer"


@pytest.mark.django_db
def test_the_system_ending_a_waiting_chat_records_no_answer(sales):
    chat = ChatFactory(department=sales)
    services.chat_end(actor=SYSTEM, chat_id=chat.pk)
    chat.refresh_from_db()
    assert (chat.status, chat.missed_reason) == (Chat.Status.MISSED, "no_answer")


@pytest.mark.django_db
def test_open_and_ended_chats_have_no_missed_reason(sales, agent):
    chat = ChatFactory(department=sales)
    services.chat_accept(actor=agent, chat_id=chat.pk)
    services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)  # leaving an active chat ends it
    chat.refresh_from_db()
    assert (chat.status, chat.missed_reason) == (Chat.Status.ENDED, "")


@pytest.mark.django_db
def test_a_chat_missed_before_reasons_were_kept_says_null(sales):
    chat = ChatFactory(department=sales, status=Chat.Status.MISSED, ended_at=timezone.now())
    assert frames.missed_frame(chat, ticket_id=7)["reason"] is None


# Through the socket ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_visitor_is_told_abandoned_live_and_again_on_reconnecting(sales):
    chat = await database_sync_to_async(ChatFactory)(department=sales)
    visitor = await visitor_socket(chat)
    await next_frame(visitor, "queue.position")
    await visitor.send_json_to({"type": "chat.end"})
    missed = await receive_type(visitor, "chat.missed")
    assert (missed["chat_id"], missed["reason"]) == (chat.pk, "abandoned") and missed["ticket_id"]
    await visitor.disconnect()

    again = await visitor_socket(chat)  # a reload of the page
    assert await next_frame(again, "chat.missed") == missed
    assert await probe(again) == []  # no place in a queue any more
    await again.disconnect()


# At the same moment ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_leaving_while_an_agent_accepts_is_one_or_the_other(sales, agent, round_):
    chat = ChatFactory(department=sales)
    outcomes = race(
        partial(services.chat_end, actor=ChatVisitor.of(chat), chat_id=chat.pk),
        partial(services.chat_accept, actor=agent, chat_id=chat.pk),
    )
    chat.refresh_from_db()
    tickets = list(Ticket.objects.filter(source_chat=chat).values_list("kind", flat=True))
    if chat.status == Chat.Status.MISSED:  # the visitor left first: the accept came too late
        assert outcomes == ["ok", "chat_closed"]
        assert (chat.missed_reason, tickets) == ("abandoned", [Ticket.Kind.MISSED_CHAT])
    else:  # accepted first: the visitor's leaving ended the conversation
        assert outcomes == ["ok", "ok"]
        assert (chat.status, chat.missed_reason, tickets) == (Chat.Status.ENDED, "", [Ticket.Kind.CHAT_TRANSCRIPT])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_leaving_as_the_deadline_passes_is_missed_once_for_one_reason(sales, round_):
    chat = ChatFactory(department=sales, missed_deadline=timezone.now() - timedelta(seconds=1))
    outcomes = race(
        partial(services.chat_end, actor=ChatVisitor.of(chat), chat_id=chat.pk),
        partial(services.chat_mark_missed_when_due, chat_id=chat.pk),
    )
    assert outcomes == ["ok", "ok"]
    chat.refresh_from_db()
    assert chat.status == Chat.Status.MISSED and chat.missed_reason in ("abandoned", "no_answer")
    assert Ticket.objects.filter(source_chat=chat).count() == 1
