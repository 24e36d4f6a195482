"""timers_rearm: a countdown again for every deadline still pending, none for what is settled.
(The whole path, a worker reconnecting after Redis came back empty, is in
tests/resilience/test_worker_redis_restart.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import Chat
from helpdesk.celery import app as celery_app
from tests.factories import AgentFactory, ChatFactory, accepted_chat


@pytest.fixture
def scheduled(monkeypatch):
    """Every countdown sent, as (task name, args, eta)."""
    sent = []
    monkeypatch.setattr(
        celery_app, "send_task", lambda name, args, eta: sent.append((name.rsplit(".", 1)[1], args, eta))
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
        transfer = services.transfer_request(actor=agent, chat_id=accepted_chat(agent=agent).pk, to_agent_id=bob.pk)
        invitation = services.invitations_create(
            actor=agent, chat_id=accepted_chat(agent=agent).pk, invitee_ids=[carol.pk]
        )[0]
        answered = services.invitations_create(
            actor=agent, chat_id=accepted_chat(agent=agent).pk, invitee_ids=[bob.pk]
        )[0]
    services.invitation_decline(actor=bob, invitation_id=answered.pk)
    scheduled.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.timers_rearm() == 5

    assert sorted(scheduled, key=repr) == sorted(
        [
            ("chat_end_when_due", (ending.pk, ending.ends_at.isoformat()), ending.ends_at),
            ("chat_miss_when_due", (waiting.pk, waiting.missed_deadline.isoformat()), waiting.missed_deadline),
            (
                "chat_miss_when_due",
                (overdue.pk, overdue.missed_deadline.isoformat()),
                overdue.missed_deadline,
            ),  # runs at once
            ("transfer_expire_when_due", (transfer.pk, transfer.expires_at.isoformat()), transfer.expires_at),
            ("invitation_expire_when_due", (invitation.pk, invitation.expires_at.isoformat()), invitation.expires_at),
        ],
        key=repr,
    )
