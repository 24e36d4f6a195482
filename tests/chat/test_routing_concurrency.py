"""One agent at a time under concurrency: starts, expiries, status changes and disconnects at the
same moment, each on its own database connection. A chat is never offered to two agents at
once, never lost between them, and an agent's last place goes to one chat only."""

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from chat import services
from chat.models import Chat, ChatOffer
from chat.services.presence import agent_connection_close, agent_connection_open
from helpdesk.models import Agent, Department
from tests.factories import AgentFactory, DepartmentFactory, record_connection
from tests.support.concurrency import race

from .test_services_start import start


@pytest.fixture
def desk(transactional_db, settings):
    settings.CHAT_MAX_WAITING_PER_IP = 0
    return DepartmentFactory(routing=Department.Routing.ROUND_ROBIN)


def pending(chat) -> list[int]:
    return list(ChatOffer.objects.filter(chat=chat, status=ChatOffer.Status.PENDING).values_list("agent_id", flat=True))


def make_due(chat) -> int:
    offer = ChatOffer.objects.get(chat=chat, status=ChatOffer.Status.PENDING)
    ChatOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return offer.pk


def test_chats_started_at_once_never_share_an_agents_last_place(desk):
    agents = [AgentFactory(departments=[desk], max_concurrent_chats=1) for _ in range(3)]
    outcomes = race(*(partial(start, desk, email=f"v{i}@example.org") for i in range(8)))
    assert outcomes == ["ok"] * 8
    offers = ChatOffer.objects.filter(status=ChatOffer.Status.PENDING)
    assert sorted(offers.values_list("agent_id", flat=True)) == sorted(agent.pk for agent in agents)
    assert Chat.objects.filter(status=Chat.Status.WAITING).count() == 8  # five wait their turn


@pytest.mark.parametrize("round_", range(4))
def test_an_offer_expiring_while_its_agent_leaves_and_another_arrives_goes_to_exactly_one(desk, round_):
    ann = AgentFactory(departments=[desk])
    bob = AgentFactory(departments=[desk], connected=False)
    chat, _ = start(desk)
    assert pending(chat) == [ann.pk]
    offer_id = make_due(chat)
    outcomes = race(
        partial(services.chat_offer_expire_when_due, offer_id=offer_id),
        partial(services.chat_offer_expire_when_due, offer_id=offer_id),
        partial(services.agent_update_chat_settings, actor=ann, chat_status=Agent.ChatStatus.OFFLINE),
        partial(agent_connection_open, agent=bob, channel_name=f"bob-{round_}"),
    )
    assert outcomes == ["ok"] * 4
    assert pending(chat) == [bob.pk]


def test_an_agent_who_disconnects_mid_offer_loses_it_to_the_next(desk, settings):
    settings.AGENT_AWAY_AFTER_SECONDS = 60
    ann = AgentFactory(departments=[desk], connected=False)
    socket = record_connection(ann).channel_name
    bob = AgentFactory(departments=[desk])
    chat, _ = start(desk)
    assert pending(chat) == [ann.pk]
    agent_connection_close(channel_name=socket)
    outcomes = race(
        partial(services.chat_offer_expire_when_due, offer_id=make_due(chat)),
        partial(services.offers_route_waiting),  # the sweep, at the same moment
    )
    assert outcomes == ["ok", "ok"]
    assert pending(chat) == [bob.pk]


def test_a_lone_agent_who_went_away_gets_the_chat_back_on_reconnecting(desk, settings):
    settings.AGENT_AWAY_AFTER_SECONDS = 60
    ann = AgentFactory(departments=[desk], connected=False)
    socket = record_connection(ann).channel_name
    chat, _ = start(desk)
    agent_connection_close(channel_name=socket)
    # Gone for longer than the grace: away.
    ann.connections.update(seen_at=timezone.now() - timedelta(seconds=61))
    race(partial(services.chat_offer_expire_when_due, offer_id=make_due(chat)))
    assert pending(chat) == []  # waiting in the queue, not lost
    race(partial(agent_connection_open, agent=ann, channel_name="ann-again"))
    assert pending(chat) == [ann.pk]


def test_accepting_while_the_offer_expires_leaves_no_offer_behind(desk):
    for round_ in range(4):
        ann, bob = AgentFactory(departments=[desk]), AgentFactory(departments=[desk])
        chat, _ = start(desk, email=f"r{round_}@example.org")
        owner = Agent.objects.get(pk=pending(chat)[0])
        outcomes = race(
            partial(services.chat_offer_expire_when_due, offer_id=make_due(chat)),
            partial(services.chat_accept, actor=owner, chat_id=chat.pk),
        )
        assert outcomes == ["ok", "ok"]
        chat.refresh_from_db()
        assert chat.status == Chat.Status.ACTIVE and chat.owner == owner
        assert pending(chat) == []
        Agent.objects.filter(pk__in=[ann.pk, bob.pk]).update(chat_status=Agent.ChatStatus.OFFLINE)
