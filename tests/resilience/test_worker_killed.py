"""The Celery worker killed with SIGKILL while missed-chat conversions, transfer and invitation
timeouts (and an end) are pending; it stays down until all are overdue. Beside
tests/chat/test_tasks_worker.py, which kills it with ends alone and restarts it at once."""

import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import Chat, ChatParticipant, Invitation, Transfer
from chat.visitor_info import VisitorFacts
from tests.factories import AgentFactory, accepted_chat
from tests.support.processes import celery_worker_process, runs_since, wait_until
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

SWEEP_SECONDS = 1
DEADLINE_SECONDS = 2


def received(worker, task: str) -> int:
    return sum(task in line and "received" in line.lower() for line in worker.lines)


def test_worker_killed_with_missed_chats_and_handover_timeouts_pending(managed, agent, sales, settings, tmp_path):
    settings.CHAT_MISSED_AFTER_SECONDS = DEADLINE_SECONDS
    settings.TRANSFER_TIMEOUT_SECONDS = DEADLINE_SECONDS
    worker = celery_worker_process(tmp_path, sweep_seconds=SWEEP_SECONDS)
    managed(worker)
    worker.start()
    bob, carol = AgentFactory(departments=[sales]), AgentFactory(departments=[sales])
    waiting = [
        services.chat_start(
            name=f"Visitor {n}", email=f"v{n}@example.org", question="Anyone?", department=sales,
            facts=VisitorFacts(None, "", "", "", ""),
        )[0]
        for n in range(3)
    ]  # fmt: skip
    transferred, invited, ending = (accepted_chat(agent=agent) for _ in range(3))
    transfer = services.transfer_request(actor=agent, chat_id=transferred.pk, to_agent_id=bob.pk)
    invitation = services.invitations_create(actor=agent, chat_id=invited.pk, invitee_ids=[carol.pk])[0]
    services.chat_schedule_end(actor=agent, chat_id=ending.pk, delay_seconds=DEADLINE_SECONDS)
    # The worker holds every countdown reserved when it dies.
    wait_until(
        lambda: (
            received(worker, "chat_miss_when_due") >= 3
            and received(worker, "transfer_expire_when_due") >= 1
            and received(worker, "invitation_expire_when_due") >= 1
            and received(worker, "chat_end_when_due") >= 1
        )
    )
    worker.stop(signal.SIGKILL)

    # Down until every deadline has passed: nothing happens meanwhile.
    ending.refresh_from_db()
    last_deadline = max(
        [c.missed_deadline for c in waiting] + [transfer.expires_at, invitation.expires_at, ending.ends_at]
    )
    wait_until(lambda: timezone.now() > last_deadline + timedelta(seconds=0.2), timeout=DEADLINE_SECONDS + 3)
    assert not Chat.objects.filter(status=Chat.Status.MISSED).exists()
    assert Transfer.objects.get(pk=transfer.pk).status == "pending"

    restarted = celery_worker_process(tmp_path, sweep_seconds=SWEEP_SECONDS)
    managed(restarted)
    restarted.start()
    ready = time.monotonic()

    def all_done():
        return (
            Chat.objects.filter(pk__in=[c.pk for c in waiting], status=Chat.Status.MISSED).count() == 3
            and Transfer.objects.get(pk=transfer.pk).status == "expired"
            and Invitation.objects.get(pk=invitation.pk).status == "expired"
            and Chat.objects.get(pk=ending.pk).status == Chat.Status.ENDED
        )

    wait_until(all_done, timeout=SWEEP_SECONDS + 5)
    took = time.monotonic() - ready
    # Within the sweep interval of the restart (plus a second for a busy machine).
    assert took <= SWEEP_SECONDS + 1.0, took

    # Exactly once in effect, also after one more sweep (received after all was done, and run).
    done_at = len(restarted.lines)
    wait_until(lambda: runs_since(restarted, "chat_sweep_overdue", done_at), timeout=SWEEP_SECONDS + 5)
    for chat in waiting:
        assert list(Ticket.objects.filter(source_chat=chat).values_list("kind", flat=True)) == [Ticket.Kind.MISSED_CHAT]
    assert list(Ticket.objects.filter(source_chat=ending).values_list("kind", flat=True)) == [
        Ticket.Kind.CHAT_TRANSCRIPT
    ]
    transferred.refresh_from_db()
    assert (transferred.owner, transferred.status) == (agent, Chat.Status.ACTIVE)
    assert not Ticket.objects.filter(source_chat__in=[transferred, invited]).exists()
    assert not ChatParticipant.objects.filter(chat=invited, agent=carol).exists()
