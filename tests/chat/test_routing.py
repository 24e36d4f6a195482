"""Routing one agent at a time (round robin, least busy): who is offered a chat, when it moves
on, and the queue when nobody has room."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import selectors, services, tasks
from chat.models import Chat, ChatOffer
from chat.services.presence import agent_connection_open
from helpdesk.models import Agent, Department
from helpdesk.platform.events import agent_group
from tests.factories import AgentFactory, ChatFactory, DepartmentFactory, accepted_chat
from tests.support.events import frames_to

from .test_services_start import start


@pytest.fixture(autouse=True)
def _many_chats_from_one_address(settings):
    settings.CHAT_MAX_WAITING_PER_IP = 0


@pytest.fixture
def desk(db):
    return DepartmentFactory(name="Desk", slug="desk", routing=Department.Routing.ROUND_ROBIN)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run a call with its on-commit work (publishing) done."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def offered_chats(published, agent) -> list[int]:
    return [f["chat_id"] for f in frames_to(published, agent_group(agent.pk)) if f["type"] == "chat.offered"]


def withdrawn(published, agent) -> list[tuple[int, str]]:
    frames = frames_to(published, agent_group(agent.pk))
    return [(f["chat_id"], f["reason"]) for f in frames if f["type"] == "chat.offer_withdrawn"]


def pending_offer(chat) -> ChatOffer | None:
    return ChatOffer.objects.filter(chat=chat, status=ChatOffer.Status.PENDING).first()


def time_out(chat, run) -> None:
    """The pending offer of `chat` reaches its deadline and its countdown task runs."""
    offer = pending_offer(chat)
    ChatOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    run(services.chat_offer_expire_when_due, offer_id=offer.pk)


def test_round_robin_offers_one_agent_at_a_time_and_moves_on_after_the_timeout(
    desk, published, run_on_commit, settings
):
    settings.OFFER_TIMEOUT_SECONDS = 30
    ann, bob, cat = (AgentFactory(display_name=name, departments=[desk]) for name in ("Ann", "Bob", "Cat"))
    chat, _ = run_on_commit(start, desk)

    assert (offered_chats(published, ann), offered_chats(published, bob), offered_chats(published, cat)) == (
        [chat.pk],
        [],
        [],
    )
    offer = pending_offer(chat)
    assert offer.agent == ann
    assert timedelta(seconds=29) < offer.expires_at - offer.offered_at <= timedelta(seconds=30)
    frame = frames_to(published, agent_group(ann.pk))[0]
    assert frame["expires_at"] is not None

    time_out(chat, run_on_commit)
    assert withdrawn(published, ann) == [(chat.pk, "timeout")]
    assert offered_chats(published, bob) == [chat.pk] and offered_chats(published, cat) == []
    time_out(chat, run_on_commit)
    assert offered_chats(published, cat) == [chat.pk]
    time_out(chat, run_on_commit)  # round again: Ann's turn came longest ago
    assert offered_chats(published, ann) == [chat.pk, chat.pk]
    assert ChatOffer.objects.filter(chat=chat, status=ChatOffer.Status.TIMEOUT).count() == 3


def test_round_robin_takes_turns_across_chats(desk, published, run_on_commit):
    ann, bob = AgentFactory(departments=[desk]), AgentFactory(departments=[desk])
    chats = [run_on_commit(start, desk, email=f"v{i}@example.org")[0] for i in range(4)]
    assert [pending_offer(chat).agent for chat in chats] == [ann, bob, ann, bob]


def test_least_busy_offers_the_agent_with_the_fewest_chats(db, published, run_on_commit):
    desk = DepartmentFactory(routing=Department.Routing.LEAST_BUSY)
    busy, idle = AgentFactory(departments=[desk]), AgentFactory(departments=[desk])
    accepted_chat(agent=busy, department=desk)
    first, _ = run_on_commit(start, desk)
    assert pending_offer(first).agent == idle
    second, _ = run_on_commit(start, desk, email="w@example.org")
    assert pending_offer(second).agent == busy  # idle's pending offer counts as a chat: 1 against 1


def test_a_chat_nobody_has_room_for_waits_its_turn_first_come_first_served(desk, published, run_on_commit):
    ann = AgentFactory(departments=[desk], max_concurrent_chats=1)
    first, _ = run_on_commit(start, desk, email="a@example.org")
    second, _ = run_on_commit(start, desk, email="b@example.org")
    third, _ = run_on_commit(start, desk, email="c@example.org")
    assert pending_offer(first).agent == ann  # the offer on her screen takes her one place
    assert pending_offer(second) is None and pending_offer(third) is None

    run_on_commit(services.chat_accept, actor=ann, chat_id=first.pk)
    assert pending_offer(second) is None  # still no room
    assert ChatOffer.objects.get(chat=first).status == ChatOffer.Status.ACCEPTED
    run_on_commit(services.chat_end, actor=ann, chat_id=first.pk)
    assert pending_offer(second).agent == ann and pending_offer(third) is None
    assert offered_chats(published, ann) == [first.pk, second.pk]


def test_going_offline_passes_the_offer_on_at_once(desk, published, run_on_commit):
    ann, bob = AgentFactory(departments=[desk]), AgentFactory(departments=[desk])
    chat, _ = run_on_commit(start, desk)
    run_on_commit(services.agent_update_chat_settings, actor=ann, chat_status=Agent.ChatStatus.OFFLINE)
    assert withdrawn(published, ann) == [(chat.pk, "offline")]
    assert pending_offer(chat).agent == bob
    assert offered_chats(published, bob) == [chat.pk]


def test_anyone_in_the_department_may_take_the_chat_from_the_waiting_list(desk, published, run_on_commit):
    ann, bob = AgentFactory(departments=[desk]), AgentFactory(departments=[desk])
    chat, _ = run_on_commit(start, desk)
    run_on_commit(services.chat_accept, actor=bob, chat_id=chat.pk)
    assert ChatOffer.objects.get(chat=chat, agent=ann).status == ChatOffer.Status.WITHDRAWN
    assert withdrawn(published, ann) == [(chat.pk, "accepted")]


def test_a_missed_chat_settles_its_offer(desk, published, run_on_commit):
    ann = AgentFactory(departments=[desk])
    chat, _ = run_on_commit(start, desk)
    Chat.objects.filter(pk=chat.pk).update(missed_deadline=timezone.now() - timedelta(seconds=1))
    run_on_commit(services.chat_mark_missed_when_due, chat_id=chat.pk)
    assert ChatOffer.objects.get(chat=chat).status == ChatOffer.Status.WITHDRAWN
    assert withdrawn(published, ann) == [(chat.pk, "missed")]


def test_the_only_agent_keeps_the_offer_without_popping_it_up_again(desk, published, run_on_commit):
    ann = AgentFactory(departments=[desk])
    chat, _ = run_on_commit(start, desk)
    first = pending_offer(chat)
    time_out(chat, run_on_commit)
    renewed = pending_offer(chat)
    assert renewed.agent == ann and renewed.pk != first.pk and renewed.expires_at > timezone.now()
    assert offered_chats(published, ann) == [chat.pk] and withdrawn(published, ann) == []


def test_expiry_runs_twice_or_early_change_nothing(desk, published, run_on_commit):
    ann, bob = AgentFactory(departments=[desk]), AgentFactory(departments=[desk])
    chat, _ = run_on_commit(start, desk)
    offer = pending_offer(chat)
    assert run_on_commit(services.chat_offer_expire_when_due, offer_id=offer.pk) is None  # not due yet
    assert pending_offer(chat) == offer
    time_out(chat, run_on_commit)
    run_on_commit(services.chat_offer_expire_when_due, offer_id=offer.pk)  # again: settled already
    assert pending_offer(chat).agent == bob
    assert offered_chats(published, bob) == [chat.pk]
    assert withdrawn(published, ann) == [(chat.pk, "timeout")]


def test_an_agent_connecting_is_offered_the_queue(desk, published, run_on_commit):
    chat, _ = run_on_commit(start, desk)
    assert pending_offer(chat) is None  # nobody connected
    ann = AgentFactory(departments=[desk], connected=False)
    run_on_commit(agent_connection_open, agent=ann, channel_name="socket-1")
    assert pending_offer(chat).agent == ann
    assert [c.pk for c in selectors.waiting_chats_for(ann)] == [chat.pk]


def test_the_sweep_offers_what_no_call_routed(desk, published, run_on_commit):
    ann = AgentFactory(departments=[desk])
    chat = ChatFactory(department=desk)  # written without routing, as if a trigger was lost
    run_on_commit(tasks.chat_sweep_overdue)
    assert pending_offer(chat).agent == ann
    ChatOffer.objects.filter(chat=chat).update(expires_at=timezone.now() - timedelta(seconds=1))
    bob = AgentFactory(departments=[desk])
    run_on_commit(tasks.chat_sweep_overdue)
    assert pending_offer(chat).agent == bob


def test_others_see_an_offer_made_to_one_agent_only_in_the_waiting_list(desk, published, run_on_commit):
    ann, bob = AgentFactory(departments=[desk]), AgentFactory(departments=[desk])
    chat, _ = run_on_commit(start, desk)
    assert [c.pk for c in selectors.waiting_chats_for(ann)] == [chat.pk]
    assert list(selectors.waiting_chats_for(bob)) == []
    assert [c.pk for c in selectors.waiting_chats_in_reach(bob)] == [chat.pk]


def test_broadcast_and_department_less_chats_make_no_offers(sales, published, run_on_commit):
    ann = AgentFactory(departments=[sales])
    for department in (sales, None):
        chat, _ = run_on_commit(start, department, email=f"{department}@example.org")
        assert chat.pk in offered_chats(published, ann)
    assert not ChatOffer.objects.exists()


def test_departments_api_shows_routing(desk, client):
    body = client.get("/api/v1/departments/").json()
    assert [(d["slug"], d["routing"]) for d in body] == [("desk", "round_robin")]
