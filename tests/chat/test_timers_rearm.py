"""timers_rearm: a countdown again for every deadline still pending, none for what is settled.
(The whole path, a worker reconnecting after Redis came back empty, is in
tests/resilience/test_worker_redis_restart.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services_handover, services_timers, tasks
from chat.models import Chat
from tests.factories import AgentFactory, ChatFactory, accepted_chat


@pytest.fixture
def scheduled(monkeypatch):
    """Every countdown sent, as (task name, args, eta)."""
    sent = []
    for task in (
        tasks.chat_end_when_due,
        tasks.chat_miss_when_due,
        tasks.transfer_expire_when_due,
        tasks.invitation_expire_when_due,
    ):
        monkeypatch.setattr(
            task, "apply_async", lambda args, eta, name=task.name: sent.append((name.rsplit(".", 1)[1], args, eta))
        )
    return sent


@pytest.mark.django_db
def test_rearm_schedules_every_pending_deadline_and_nothing_settled(
    agent, sales, scheduled, django_capture_on_commit_callbacks
):
    now = timezone.now()
    waiting = ChatFactory(department=sales, missed_deadline=now + timedelta(seconds=30))
    overdue = ChatFactory(department=sales, missed_deadline=now - timedelta(seconds=5))
    ending = accepted_chat(agent=agent, status=Chat.Status.ENDING, ends_at=now + timedelta(seconds=60))
    ChatFactory(status=Chat.Status.MISSED, ended_at=now)
    accepted_chat(agent=agent)  # active, nothing due
    bob, carol = AgentFactory(departments=[sales]), AgentFactory(departments=[sales])
    with django_capture_on_commit_callbacks(execute=True):
        transfer = services_handover.transfer_request(
            chat_id=accepted_chat(agent=agent).pk, agent=agent, to_agent_id=bob.pk
        )
        invitation = services_handover.invitations_create(
            chat_id=accepted_chat(agent=agent).pk, agent=agent, invitee_ids=[carol.pk]
        )[0]
        answered = services_handover.invitations_create(
            chat_id=accepted_chat(agent=agent).pk, agent=agent, invitee_ids=[bob.pk]
        )[0]
    services_handover.invitation_decline(invitation_id=answered.pk, agent=bob)
    scheduled.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert services_timers.timers_rearm() == 5

    assert sorted(scheduled, key=repr) == sorted(
        [
            ("chat_end_when_due", (ending.pk, ending.ends_at.isoformat()), ending.ends_at),
            ("chat_miss_when_due", (waiting.pk,), waiting.missed_deadline),
            ("chat_miss_when_due", (overdue.pk,), overdue.missed_deadline),  # runs at once
            ("transfer_expire_when_due", (transfer.pk,), transfer.expires_at),
            ("invitation_expire_when_due", (invitation.pk,), invitation.expires_at),
        ],
        key=repr,
    )
