"""Nobody left to answer (chat/services/staffing.py, chat.services.ending.chats_miss_unstaffed):
when the last agent who could take a department's waiting chats goes Offline, signs out or goes
away, each of those chats becomes a Missed Chats ticket once, at once, with missed_reason
"no_agents", and its visitor gets `chat.missed` with that reason. Chats that started while
nobody was there wait for their deadline as before."""

from datetime import timedelta
from functools import partial

import pytest
from channels.db import database_sync_to_async
from django.db.models import F
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chat import services, tasks
from chat.models import AgentConnection, Chat
from chat.services.presence import agent_connection_close, agent_connection_open
from chat.services.staffing import UNSTAFFED_TASK
from helpdesk.celery import app as celery_app
from helpdesk.models import Agent, Department
from helpdesk.platform.events import chat_group
from tests.factories import AgentFactory, ChatFactory, DepartmentFactory, accepted_chat, record_connection
from tests.support.concurrency import race
from tests.support.events import frames_to
from tests.support.processes import celery_worker_process, received, wait_until
from tests.support.sockets import next_frame, receive_type, visitor_socket
from tickets.models import Ticket

OFFLINE = Agent.ChatStatus.OFFLINE


@pytest.fixture
def scheduled(monkeypatch):
    """Every task sent by name, as (name, args, eta), instead of to the broker."""
    sent = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args, eta: sent.append((name, args, eta)))
    return sent


@pytest.fixture(autouse=True)
def _presence_timings(settings):
    settings.AGENT_AWAY_AFTER_SECONDS, settings.AGENT_PRESENCE_HEARTBEAT_SECONDS = 60, 20


def run_scheduled(scheduled) -> list[int]:
    """Run the staffing checks sent so far, as the worker would; the chats they missed."""
    missed = []
    for name, args, _ in scheduled:
        if name == UNSTAFFED_TASK:
            agent_id, left_at = (list(args) + [None, None])[:2]
            missed += services.chats_miss_unstaffed(agent_id=agent_id, left_at=parse_datetime(left_at or ""))
    scheduled.clear()
    return missed


def state(chat) -> tuple[str, str]:
    chat.refresh_from_db()
    return chat.status, chat.missed_reason


def go_offline(agent) -> None:
    services.agent_update_chat_settings(actor=agent, chat_status=OFFLINE)


def earlier(seconds: float, *chats) -> None:
    """As if every sign of life, and the start of `chats`, had happened `seconds` earlier."""
    shift = timedelta(seconds=seconds)
    AgentConnection.objects.update(seen_at=F("seen_at") - shift, opened_at=F("opened_at") - shift)
    AgentConnection.objects.filter(closed_at__isnull=False).update(closed_at=F("closed_at") - shift)
    Chat.objects.filter(pk__in=[c.pk for c in chats]).update(started_at=F("started_at") - shift)


# Going Offline, signing out --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_last_agent_going_offline_misses_the_departments_waiting_chats_once(sales, support, published, scheduled):
    alice = AgentFactory(departments=[sales])
    AgentFactory(departments=[support])  # Bob: can take Support's chats and those without a department
    first, second = ChatFactory(department=sales), ChatFactory(department=sales)
    others = [ChatFactory(department=support), ChatFactory(department=None)]

    go_offline(alice)
    [(name, (agent_id, left_at), eta)] = scheduled
    assert (name, agent_id, eta) == (UNSTAFFED_TASK, alice.pk, None)  # at once
    assert sorted(run_scheduled(scheduled)) == [first.pk, second.pk]

    for chat in (first, second):
        assert state(chat) == (Chat.Status.MISSED, "no_agents")
        ticket = Ticket.objects.get(source_chat=chat)
        assert ticket.kind == Ticket.Kind.MISSED_CHAT
        missed = [f for f in frames_to(published, chat_group(chat.pk)) if f["type"] == "chat.missed"]
        assert missed == [{"type": "chat.missed", "chat_id": chat.pk, "ticket_id": ticket.pk, "reason": "no_agents"}]
    assert [state(chat)[0] for chat in others] == [Chat.Status.WAITING] * 2

    # The task again, the sweep: nothing more.
    assert services.chats_miss_unstaffed(agent_id=alice.pk, left_at=parse_datetime(left_at)) == []
    tasks.chat_sweep_overdue()
    assert Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_signing_out_is_going_offline(sales, scheduled):
    alice = AgentFactory(departments=[sales])
    chat = ChatFactory(department=sales)
    client = Client()
    client.force_login(alice.user)
    assert client.post("/accounts/logout/").status_code == 302
    assert run_scheduled(scheduled) == [chat.pk]
    assert state(chat) == (Chat.Status.MISSED, "no_agents")


@pytest.mark.django_db(transaction=True)
def test_nothing_goes_while_another_agent_could_take_the_chats(sales, scheduled):
    alice, bob = AgentFactory(departments=[sales]), AgentFactory(departments=[sales])
    chat = ChatFactory(department=sales)
    go_offline(alice)
    assert run_scheduled(scheduled) == []
    assert state(chat) == (Chat.Status.WAITING, "")
    go_offline(bob)  # now bob was the last
    assert run_scheduled(scheduled) == [chat.pk]


@pytest.mark.django_db(transaction=True)
def test_an_agent_who_was_away_already_takes_nobody_away_by_going_offline(sales, scheduled):
    gone = AgentFactory(departments=[sales], connected=False)  # Online, no browser open
    chat = ChatFactory(department=sales)
    go_offline(gone)
    assert scheduled == []
    tasks.chat_sweep_overdue()
    assert state(chat) == (Chat.Status.WAITING, "")


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_while_no_chat_waits(sales, scheduled):
    go_offline(AgentFactory(departments=[sales]))
    assert scheduled == []


@pytest.mark.django_db(transaction=True)
def test_a_chat_started_after_the_last_agent_left_waits_for_its_deadline(sales, scheduled):
    alice = AgentFactory(departments=[sales])
    before = ChatFactory(department=sales)
    go_offline(alice)
    after = ChatFactory(department=sales)  # the visitor started it with nobody there
    assert run_scheduled(scheduled) == [before.pk]
    tasks.chat_sweep_overdue()
    assert state(after) == (Chat.Status.WAITING, "")


@pytest.mark.django_db(transaction=True)
def test_a_chat_that_started_with_nobody_there_is_not_missed_when_someone_comes_back_for_a_moment(sales, scheduled):
    """The rule is the change "somebody could take it -> nobody can": an agent who comes and goes
    again while a chat waits is such a change; nobody ever coming is not."""
    chat = ChatFactory(department=sales)
    tasks.chat_sweep_overdue()
    assert state(chat) == (Chat.Status.WAITING, "")
    alice = AgentFactory(departments=[sales])  # came Online, with her dashboard open
    go_offline(alice)
    assert run_scheduled(scheduled) == [chat.pk]


@pytest.mark.django_db(transaction=True)
def test_switched_off_by_the_setting(sales, settings, scheduled):
    settings.CHAT_MISS_WHEN_UNSTAFFED = False
    alice = AgentFactory(departments=[sales], connected=False)
    socket = record_connection(alice).channel_name
    chat = ChatFactory(department=sales)
    agent_connection_close(channel_name=socket)
    go_offline(alice)
    assert scheduled == []
    earlier(3600, chat)
    assert services.chats_miss_unstaffed(agent_id=alice.pk, left_at=timezone.now()) == []
    tasks.chat_sweep_overdue()
    assert state(chat) == (Chat.Status.WAITING, "")


# Who counts ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_busy_agent_keeps_a_one_at_a_time_queue_but_not_a_broadcast_departments_chats(sales, scheduled):
    """As GET /api/v1/departments/ counts availability: routed one agent at a time, the chat
    queues for an agent at their limit; broadcast, only an agent with room could be offered it."""
    desk = DepartmentFactory(routing=Department.Routing.ROUND_ROBIN)
    for department in (desk, sales):
        busy = AgentFactory(departments=[department], max_concurrent_chats=1)
        accepted_chat(agent=busy, department=department)
    queued, broadcast = ChatFactory(department=desk), ChatFactory(department=sales)
    go_offline(AgentFactory(departments=[desk, sales]))
    assert run_scheduled(scheduled) == [broadcast.pk]
    assert state(queued) == (Chat.Status.WAITING, "")


@pytest.mark.django_db(transaction=True)
def test_chats_without_a_department_go_only_when_no_agent_at_all_is_left(sales, support, scheduled):
    alice, bob = AgentFactory(departments=[sales]), AgentFactory(departments=[support])
    chat = ChatFactory(department=None)
    go_offline(alice)
    assert run_scheduled(scheduled) == []
    go_offline(bob)
    assert run_scheduled(scheduled) == [chat.pk]


# Going away -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_closed_socket_misses_the_chats_once_its_agent_is_away(sales, scheduled):
    alice = AgentFactory(departments=[sales], connected=False)
    agent_connection_open(agent=alice, channel_name="alice-1")
    chat = ChatFactory(department=sales)
    agent_connection_close(channel_name="alice-1")
    [(name, args, eta)] = scheduled
    closed_at = AgentConnection.objects.get(channel_name="alice-1").closed_at
    assert (name, args) == (UNSTAFFED_TASK, ())
    assert timedelta(seconds=60) < eta - closed_at <= timedelta(seconds=61)  # just past the grace

    assert run_scheduled(scheduled) == []  # too early (a countdown may fire early): still present
    earlier(61, chat)
    assert services.chats_miss_unstaffed() == [chat.pk]
    assert state(chat) == (Chat.Status.MISSED, "no_agents")


@pytest.mark.django_db(transaction=True)
def test_a_socket_opened_again_within_the_grace_keeps_the_chats(sales, scheduled):
    alice = AgentFactory(departments=[sales], connected=False)
    agent_connection_open(agent=alice, channel_name="page-1")
    chat = ChatFactory(department=sales)
    agent_connection_close(channel_name="page-1")
    agent_connection_open(agent=alice, channel_name="page-2")  # the next page she opened
    AgentConnection.objects.filter(channel_name="page-1").update(seen_at=F("seen_at") - timedelta(seconds=61))
    assert run_scheduled(scheduled) == []
    assert state(chat) == (Chat.Status.WAITING, "")


@pytest.mark.django_db(transaction=True)
def test_an_offline_agents_closing_socket_schedules_nothing(sales, scheduled):
    alice = AgentFactory(departments=[sales], chat_status=OFFLINE, connected=False)
    agent_connection_open(agent=alice, channel_name="alice-1")
    agent_connection_close(channel_name="alice-1")
    assert scheduled == []


@pytest.mark.django_db(transaction=True)
def test_the_sweep_finds_an_agent_whose_server_process_died(sales):
    alice = AgentFactory(departments=[sales])  # an open socket, vouched for once, then never again
    chat = ChatFactory(department=sales)
    earlier(59, chat)  # fewer than three heartbeats and the grace ago: may just be slow
    tasks.chat_sweep_overdue()
    assert state(chat) == (Chat.Status.WAITING, "")
    earlier(2)
    tasks.chat_sweep_overdue()
    assert state(chat) == (Chat.Status.MISSED, "no_agents")
    assert alice.connections.get().closed_at is None


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_chats_that_started_after_everyone_was_gone(sales):
    alice = AgentFactory(departments=[sales], connected=False)
    agent_connection_open(agent=alice, channel_name="alice-1")
    agent_connection_close(channel_name="alice-1")
    earlier(61)  # away a second ago
    chat = ChatFactory(department=sales)
    tasks.chat_sweep_overdue()
    assert state(chat) == (Chat.Status.WAITING, "")


# The visitor ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_visitor_is_told_at_once_and_the_one_who_came_later_moves_up(sales, scheduled):
    alice = await database_sync_to_async(AgentFactory)(departments=[sales])
    chat = await database_sync_to_async(ChatFactory)(department=sales)
    visitor = await visitor_socket(chat)
    assert (await next_frame(visitor, "queue.position"))["position"] == 1

    await database_sync_to_async(go_offline)(alice)
    later = await database_sync_to_async(ChatFactory)(department=sales)  # after she left
    latecomer = await visitor_socket(later)
    assert (await next_frame(latecomer, "queue.position"))["position"] == 2
    assert await database_sync_to_async(run_scheduled)(scheduled) == [chat.pk]

    missed = await receive_type(visitor, "chat.missed")
    assert missed["reason"] == "no_agents" and missed["ticket_id"]
    assert (await next_frame(latecomer, "queue.position"))["position"] == 1
    await visitor.disconnect()
    await latecomer.disconnect()


# At the same moment ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_checks_running_at_once_with_an_accept_miss_each_chat_once_and_leave_the_accepted_one(sales, scheduled, round_):
    alice = AgentFactory(departments=[sales])
    chats = [ChatFactory(department=sales) for _ in range(3)]
    go_offline(alice)  # Offline agents may still take a chat from the waiting list
    [(_, (agent_id, left_at), _)] = scheduled
    check = partial(services.chats_miss_unstaffed, agent_id=agent_id, left_at=parse_datetime(left_at))
    outcomes = race(
        check, check, services.chats_miss_unstaffed, partial(services.chat_accept, actor=alice, chat_id=chats[1].pk)
    )
    assert outcomes[:3] == ["ok"] * 3 and outcomes[3] in ("ok", "chat_closed")
    accepted = outcomes[3] == "ok"
    assert state(chats[1]) == ((Chat.Status.ACTIVE, "") if accepted else (Chat.Status.MISSED, "no_agents"))
    assert state(chats[0]) == state(chats[2]) == (Chat.Status.MISSED, "no_agents")
    missed = Ticket.objects.filter(kind=Ticket.Kind.MISSED_CHAT).values_list("source_chat_id", flat=True)
    assert sorted(missed) == sorted(c.pk for c in chats if not (accepted and c == chats[1]))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_the_last_two_agents_leaving_at_once_miss_the_chat_once(sales, scheduled, round_):
    alice, bob = AgentFactory(departments=[sales]), AgentFactory(departments=[sales])
    chat = ChatFactory(department=sales)
    assert race(partial(go_offline, alice), partial(go_offline, bob)) == ["ok", "ok"]
    checks = [
        partial(services.chats_miss_unstaffed, agent_id=args[0], left_at=parse_datetime(args[1]))
        for _, args, _ in scheduled
    ]
    assert len(checks) == 2
    race(*checks)
    assert state(chat) == (Chat.Status.MISSED, "no_agents")
    assert Ticket.objects.filter(source_chat=chat).count() == 1


# In a real worker ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_in_a_worker_going_offline_and_going_away_miss_the_chats_without_the_sweep(sales, support, settings, tmp_path):
    settings.AGENT_AWAY_AFTER_SECONDS = 1  # as the worker reads it
    # A sweep far apart: what happens within seconds is the tasks' doing.
    worker = celery_worker_process(tmp_path, sweep_seconds=120, AGENT_AWAY_AFTER_SECONDS=1).start()
    try:
        alice = AgentFactory(departments=[sales])
        offline_chat = ChatFactory(department=sales)
        go_offline(alice)
        wait_until(lambda: state(offline_chat) == (Chat.Status.MISSED, "no_agents"), timeout=5)

        bob = AgentFactory(departments=[support], connected=False)
        agent_connection_open(agent=bob, channel_name="bob-1")
        away_chat = ChatFactory(department=support)
        agent_connection_close(channel_name="bob-1")
        closed_at = AgentConnection.objects.get(channel_name="bob-1").closed_at
        wait_until(lambda: state(away_chat) == (Chat.Status.MISSED, "no_agents"), timeout=6)
        away_chat.refresh_from_db()
        assert away_chat.ended_at - closed_at >= timedelta(seconds=1)  # not before he was away
        assert received(worker, "chats_miss_unstaffed") >= 2
        assert Ticket.objects.filter(source_chat__in=[offline_chat, away_chat]).count() == 2
    finally:
        worker.stop()
