"""A Daphne process killed (SIGKILL) does not leave its agents connected: nobody refreshes their
sockets' rows any more, so they are away after three heartbeats and the grace. While the process
lives, its heartbeat keeps them present however long the grace is past."""

import asyncio
import signal
from datetime import timedelta

import pytest
import websockets
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import selectors
from chat.models import AgentConnection
from helpdesk.models import Agent
from tests.factories import AgentFactory
from tests.support.processes import daphne_process

pytestmark = pytest.mark.django_db(transaction=True)

PRESENCE = {"AGENT_PRESENCE_HEARTBEAT_SECONDS": 1, "AGENT_AWAY_AFTER_SECONDS": 1}


@database_sync_to_async
def presence_of(agent: Agent) -> str:
    return selectors.with_presence(Agent.objects.filter(pk=agent.pk)).get().presence


async def wait_for_presence(agent: Agent, presence: str, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while await presence_of(agent) != presence:
            await asyncio.sleep(0.1)


async def test_a_killed_daphnes_agent_becomes_away_and_a_live_ones_stays_online(managed, sales, settings):
    for name, value in PRESENCE.items():
        setattr(settings, name, value)  # the rule as the test process reads it, as the server's
    bob = await database_sync_to_async(AgentFactory)(departments=[sales], connected=False)
    server = daphne_process(**PRESENCE)
    managed(server)
    await asyncio.to_thread(server.start)
    socket = await websockets.connect(f"{server.ws_url}/ws/agent/?token={bob.api_key}", open_timeout=5)
    await wait_for_presence(bob, "online", timeout=5)

    await asyncio.sleep(4.5)  # past the grace and three heartbeats: only the heartbeat keeps Bob online
    assert await presence_of(bob) == "online"
    row = await database_sync_to_async(AgentConnection.objects.get)(agent=bob)
    assert row.closed_at is None and timezone.now() - row.seen_at < timedelta(seconds=2.5)

    await asyncio.to_thread(server.stop, signal.SIGKILL)  # no close is recorded: the row just ages
    await wait_for_presence(bob, "away", timeout=10)  # three heartbeats and the grace, then away
    row = await database_sync_to_async(AgentConnection.objects.get)(agent=bob)
    assert row.closed_at is None
    await socket.close()
