"""Presence follows the connection (chat/services/presence.py, chat.selectors.with_presence): an
Online agent whose agent sockets are all gone for AGENT_AWAY_AFTER_SECONDS is away, is offered
nothing and is not listed as available; a socket brings them back at once."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client
from django.utils import timezone

from chat import selectors, services
from chat.consumers.presence import presence_tracked
from chat.models import AgentConnection, Chat
from chat.services.presence import agent_connection_close, agent_connection_open, agent_connections_vouch
from helpdesk.models import Agent
from helpdesk.platform.events import agent_group
from tests.factories import AgentFactory, record_connection
from tests.support.api import api_client_for
from tests.support.events import frames_to
from tests.support.sockets import agent_socket, frames_until, receive_type, visitor_facts

pytestmark = pytest.mark.django_db(transaction=True)


def presence_of(agent: Agent) -> str:
    return selectors.with_presence(Agent.objects.filter(pk=agent.pk)).get().presence


def offered_to(agent: Agent) -> bool:
    return selectors.agents_to_offer(None).filter(pk=agent.pk).exists()


def age_connections(agent: Agent, seconds: float) -> None:
    """As if every sign of life of `agent` had happened `seconds` earlier."""
    AgentConnection.objects.filter(agent=agent).update(
        seen_at=F("seen_at") - timedelta(seconds=seconds), opened_at=F("opened_at") - timedelta(seconds=seconds)
    )


def start_chat(department) -> Chat:
    chat, _ = services.chat_start(
        name="Vera",
        email=f"vera.{uuid.uuid4().hex[:8]}@example.org",
        question="Hi?",
        department=department,
        facts=visitor_facts(),
    )
    return chat


# The rule ------------------------------------------------------------------------------------


def test_presence_is_offline_by_choice_online_while_connected_and_away_without_a_connection(sales, settings):
    settings.AGENT_AWAY_AFTER_SECONDS, settings.AGENT_PRESENCE_HEARTBEAT_SECONDS = 60, 20
    connected = AgentFactory(departments=[sales])
    gone = AgentFactory(departments=[sales], connected=False)
    offline = AgentFactory(departments=[sales], chat_status=Agent.ChatStatus.OFFLINE)
    not_enabled = AgentFactory(departments=[sales], chat_enabled=False)
    assert [presence_of(a) for a in (connected, gone, offline, not_enabled)] == ["online", "away", "offline", "offline"]
    assert [offered_to(a) for a in (connected, gone, offline, not_enabled)] == [True, False, False, False]


def test_a_closed_socket_keeps_its_agent_online_for_the_grace_then_away(sales, settings):
    settings.AGENT_AWAY_AFTER_SECONDS, settings.AGENT_PRESENCE_HEARTBEAT_SECONDS = 60, 20
    bob = AgentFactory(departments=[sales], connected=False)
    agent_connection_open(agent=bob, channel_name="bob-1")
    age_connections(bob, 600)  # open for long: the heartbeat's refresh is what counts
    agent_connections_vouch(connections={"bob-1": bob.pk})
    agent_connection_close(channel_name="bob-1")
    assert presence_of(bob) == "online" and offered_to(bob)
    age_connections(bob, 59)
    assert presence_of(bob) == "online"
    age_connections(bob, 2)
    assert presence_of(bob) == "away" and not offered_to(bob)
    assert selectors.waiting_chats_for(bob).count() == 0
    agent_connection_open(agent=bob, channel_name="bob-2")  # reconnecting: at once
    assert presence_of(bob) == "online" and offered_to(bob)


def test_a_dead_process_connections_stop_counting_after_three_heartbeats_and_the_grace(sales, settings):
    settings.AGENT_AWAY_AFTER_SECONDS, settings.AGENT_PRESENCE_HEARTBEAT_SECONDS = 10, 20
    bob = AgentFactory(departments=[sales], connected=False)
    agent_connection_open(agent=bob, channel_name="on-a-process-that-died")
    age_connections(bob, 59)  # unrefreshed for almost three beats: the process may just be slow
    assert presence_of(bob) == "online"
    age_connections(bob, 2)
    assert presence_of(bob) == "away" and not offered_to(bob)


def test_the_heartbeat_refreshes_open_rows_records_lost_ones_again_and_forgets_old_ones(sales, settings):
    settings.AGENT_AWAY_AFTER_SECONDS, settings.AGENT_PRESENCE_HEARTBEAT_SECONDS = 60, 20
    bob, carol = AgentFactory(departments=[sales], connected=False), AgentFactory(connected=False)
    agent_connection_open(agent=bob, channel_name="open")
    agent_connection_open(agent=bob, channel_name="closed")
    agent_connection_close(channel_name="closed")
    record_connection(carol, channel_name="elsewhere")
    age_connections(bob, 100)
    age_connections(carol, 3600)  # a process that died long ago

    agent_connections_vouch(connections={"open": bob.pk, "closed": bob.pk, "lost": bob.pk, "deleted": 999_999})

    rows = {row.channel_name: row for row in AgentConnection.objects.all()}
    assert sorted(rows) == ["closed", "lost", "open"]  # carol's old row forgotten; no row for a missing agent
    fresh = timezone.now() - timedelta(seconds=5)
    assert rows["open"].seen_at > fresh and rows["lost"].seen_at > fresh and rows["lost"].closed_at is None
    assert rows["closed"].seen_at < fresh and rows["closed"].closed_at is not None  # a close is not undone


# Through real sockets ------------------------------------------------------------------------


async def test_a_closed_browser_is_not_offered_the_next_chat_after_the_grace_and_is_again_on_reconnect(sales, settings):
    settings.AGENT_AWAY_AFTER_SECONDS, settings.AGENT_PRESENCE_HEARTBEAT_SECONDS = 1, 20
    bob = await database_sync_to_async(AgentFactory)(departments=[sales], connected=False)
    alice = await database_sync_to_async(AgentFactory)(departments=[sales])
    assert await database_sync_to_async(presence_of)(bob) == "away"
    socket = await agent_socket(bob)
    first = await database_sync_to_async(start_chat)(sales)
    assert (await receive_type(socket, "chat.offered"))["chat_id"] == first.pk
    await socket.disconnect()

    async with asyncio.timeout(5):  # AGENT_AWAY_AFTER_SECONDS after the close
        while await database_sync_to_async(presence_of)(bob) != "away":
            await asyncio.sleep(0.1)
    assert not await database_sync_to_async(offered_to)(bob)
    assert await database_sync_to_async(offered_to)(alice)  # Alice, connected, still is
    second = await database_sync_to_async(start_chat)(sales)

    socket = await agent_socket(bob)  # back: what waits is offered on connecting
    offers = [frame["chat_id"] for frame in await frames_until(socket, "chat.offered")]
    offers += [(await receive_type(socket, "chat.offered"))["chat_id"]]
    assert sorted(offers) == [first.pk, second.pk]
    assert await database_sync_to_async(presence_of)(bob) == "online"
    third = await database_sync_to_async(start_chat)(sales)
    assert (await receive_type(socket, "chat.offered"))["chat_id"] == third.pk
    await socket.disconnect()


async def test_an_open_socket_stays_present_past_the_grace_through_its_process_heartbeat(sales, settings):
    settings.AGENT_AWAY_AFTER_SECONDS, settings.AGENT_PRESENCE_HEARTBEAT_SECONDS = 1, 0.2
    bob = await database_sync_to_async(AgentFactory)(departments=[sales], connected=False)
    socket = await agent_socket(bob)
    await asyncio.sleep(1.5)  # past the grace and several beats: only the heartbeat keeps Bob present
    row = await database_sync_to_async(AgentConnection.objects.get)(agent=bob)
    assert timezone.now() - row.seen_at < timedelta(seconds=1)
    assert await database_sync_to_async(presence_of)(bob) == "online"
    assert presence_tracked() == {row.channel_name: bob.pk}
    await socket.disconnect()
    assert presence_tracked() == {}
    row = await database_sync_to_async(AgentConnection.objects.get)(agent=bob)
    assert row.closed_at is not None


# Signing out and the API ---------------------------------------------------------------------


def test_signing_out_sets_the_agent_offline_and_takes_their_offers_away(sales, published):
    bob = AgentFactory(departments=[sales])
    chat = start_chat(sales)
    published.clear()
    client = Client()
    client.force_login(bob.user)
    assert client.post("/accounts/logout/").status_code == 302
    bob.refresh_from_db()
    assert bob.chat_status == Agent.ChatStatus.OFFLINE
    withdrawn = [f for f in frames_to(published, agent_group(bob.pk)) if f["type"] == "chat.offer_withdrawn"]
    assert [(f["chat_id"], f["reason"]) for f in withdrawn] == [(chat.pk, "offline")]
    assert presence_of(bob) == "offline"


def test_signing_out_a_user_who_is_no_agent_changes_nothing(db):
    client = Client()
    client.force_login(get_user_model().objects.create_user("staff", is_staff=True))
    assert client.post("/accounts/logout/").status_code == 302


def test_presence_on_the_agent_list_the_available_list_and_me(sales, settings, django_assert_max_num_queries):
    settings.AGENT_AWAY_AFTER_SECONDS = 60
    alice = AgentFactory(departments=[sales], display_name="Alice")
    AgentFactory(departments=[sales], display_name="Bob", connected=False)
    AgentFactory(departments=[sales], display_name="Carol", chat_status=Agent.ChatStatus.OFFLINE)
    AgentFactory(departments=[sales], display_name="Dave")
    api = api_client_for(alice)

    with django_assert_max_num_queries(8):  # one list query and one prefetch, whatever the count
        listed = api.get("/api/v1/agents/").json()
    assert {a["name"]: a["presence"] for a in listed} == {
        "Alice": "online",
        "Bob": "away",
        "Carol": "offline",
        "Dave": "online",
    }
    available = api.get("/api/v1/agents/available/").json()
    assert [(a["name"], a["presence"]) for a in available] == [("Dave", "online")]  # not Bob: away
    me = api.get("/api/v1/agents/me/").json()
    assert me["presence"] == "online"
    assert api.patch("/api/v1/agents/me/", {"chat_status": "offline"}, format="json").json()["presence"] == "offline"
