"""Timed work in a real Celery worker (with beat) on Redis and the test database."""

import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import Chat
from chat.visitor_info import VisitorFacts
from tests.factories import ChatFactory, accepted_chat
from tests.support.processes import celery_worker_process, wait_until
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(chat) -> str:
    return Chat.objects.values_list("status", flat=True).get(pk=chat.pk)


def test_end_after_three_seconds_fires_on_time_and_writes_one_ticket(celery_worker, agent):
    chat = accepted_chat(agent=agent)
    services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=3)
    # Requested twice: two countdown tasks are pending, the later moment counts.
    ends_at = services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=3).ends_at
    wait_until(lambda: status_of(chat) == Chat.Status.ENDED, timeout=10)
    chat.refresh_from_db()
    lateness = (chat.ended_at - ends_at).total_seconds()
    assert 0 <= lateness < 0.5, lateness
    services.chat_end(actor=agent, chat_id=chat.pk)  # and a manual end afterwards
    assert Ticket.objects.filter(source_chat=chat, kind=Ticket.Kind.CHAT_TRANSCRIPT).count() == 1


def test_cancelled_end_keeps_the_chat_active(celery_worker, agent):
    chat = accepted_chat(agent=agent)
    control = accepted_chat(agent=agent)  # scheduled alike and not cancelled: proves the worker ran
    services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=1)
    services.chat_schedule_end(actor=agent, chat_id=control.pk, delay_seconds=1)
    services.chat_cancel_end(actor=agent, chat_id=chat.pk)
    wait_until(lambda: status_of(control) == Chat.Status.ENDED, timeout=5)
    # One more sweep interval for the sweep to have had its chance too.
    deadline = timezone.now() + timedelta(seconds=1.5)
    wait_until(lambda: timezone.now() > deadline, timeout=5)
    assert status_of(chat) == Chat.Status.ACTIVE
    assert not Ticket.objects.filter(source_chat=chat).exists()


def test_chat_nobody_accepts_becomes_a_missed_chats_ticket(celery_worker, sales, settings):
    settings.CHAT_MISSED_AFTER_SECONDS = 1
    chat, _ = services.chat_start(
        name="Nora",
        email="nora@example.org",
        question="Is anyone there?",
        department=sales,
        facts=VisitorFacts(None, "", "", "", ""),
    )
    wait_until(lambda: status_of(chat) == Chat.Status.MISSED, timeout=5)
    ticket = Ticket.objects.get(source_chat=chat)
    assert ticket.kind == Ticket.Kind.MISSED_CHAT
    assert (ticket.subject, ticket.requester_name, ticket.requester_email) == (
        "Is anyone there?",
        "Nora",
        "nora@example.org",
    )


def test_sweep_finishes_overdue_deadlines_that_have_no_task(celery_worker, agent, sales):
    """Deadlines written straight into the database, as if their tasks were lost."""
    past = timezone.now() - timedelta(seconds=5)
    ending = accepted_chat(agent=agent, status=Chat.Status.ENDING, ends_at=past)
    waiting = ChatFactory(department=sales, missed_deadline=past)
    wait_until(lambda: status_of(ending) == Chat.Status.ENDED and status_of(waiting) == Chat.Status.MISSED, timeout=5)
    assert Ticket.objects.count() == 2


def test_worker_killed_with_sigkill_still_ends_every_chat(agent, tmp_path):
    worker = celery_worker_process(tmp_path).start()
    chats = [accepted_chat(agent=agent) for _ in range(5)]
    for chat in chats:
        services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=2)
    # The worker holds the countdowns reserved when it dies.
    wait_until(lambda: sum("chat_end_when_due" in line and "received" in line for line in worker.lines) >= 5)
    worker.stop(signal.SIGKILL)
    restarted = celery_worker_process(tmp_path).start()
    try:
        wait_until(lambda: all(status_of(chat) == Chat.Status.ENDED for chat in chats), timeout=10)
    finally:
        restarted.stop()
    assert Ticket.objects.filter(source_chat__in=chats).count() == 5


def test_unanswered_transfer_and_invitation_lapse_in_the_worker(celery_worker, agent, sales, settings):
    from chat.models import Invitation, Transfer
    from tests.factories import AgentFactory

    settings.TRANSFER_TIMEOUT_SECONDS = 1
    bob = AgentFactory(departments=[sales])
    carol = AgentFactory(departments=[sales])
    chat = accepted_chat(agent=agent)
    transfer = services.transfer_request(actor=agent, chat_id=chat.pk, to_agent_id=bob.pk)
    invitation = services.invitations_create(actor=agent, chat_id=chat.pk, invitee_ids=[carol.pk])[0]
    wait_until(
        lambda: (
            Transfer.objects.get(pk=transfer.pk).status == "expired"
            and Invitation.objects.get(pk=invitation.pk).status == "expired"
        ),
        timeout=5,
    )
    chat.refresh_from_db()
    assert chat.owner == agent and chat.status == Chat.Status.ACTIVE
