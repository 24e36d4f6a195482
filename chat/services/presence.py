"""Presence: an agent's open sockets as their sign of life (chat.models.AgentConnection).

An agent socket records its connection when it opens and closes it when it closes; while open,
its server process vouches for it every AGENT_PRESENCE_HEARTBEAT_SECONDS
(chat/consumers/presence.py). The rule that turns these moments into "online" or "away" is
read at query time (chat.selectors.chat_ready_q, with_presence): going away needs no timer,
and it holds across every server process because the moments live in the database.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat import selectors
from chat.models import AgentConnection
from chat.services.monitor import monitor_agents_changed
from chat.services.offers import agent_update_chat_settings
from chat.services.routing import offers_route_for_agent
from chat.services.staffing import staffing_socket_closed
from helpdesk.models import Agent


def agent_connection_open(*, agent: Agent, channel_name: str) -> None:
    """The agent's socket `channel_name` is open: from now on chats reach them (if Online).
    Call before reading what the socket is offered, so that it is offered what waits."""
    now = timezone.now()
    AgentConnection.objects.create(agent=agent, channel_name=channel_name, opened_at=now, seen_at=now)
    # Once the row is committed (routing running now elsewhere sees it): an agent back from
    # away takes their turn again.
    offers_route_for_agent(agent)
    monitor_agents_changed(agent.pk)  # back from away, or connected for the first time


def agent_connection_close(*, channel_name: str) -> None:
    """The socket closed: its last sign of life is now, and its agent is away after
    AGENT_AWAY_AFTER_SECONDS unless another socket of theirs is open by then."""
    now = timezone.now()
    AgentConnection.objects.filter(channel_name=channel_name, closed_at__isnull=True).update(seen_at=now, closed_at=now)
    staffing_socket_closed(channel_name=channel_name)  # if they were the last, their chats go when they are away


def agent_connections_vouch(*, connections: dict[str, int]) -> None:
    """One server process's heartbeat: its open sockets (channel name → agent id) are alive now.

    One UPDATE for all of them. A socket whose row is gone (forgotten while this process could
    not reach the database for longer than the grace) is recorded again, unless it closed or its
    agent was deleted meanwhile. Rows too old to count for anyone are forgotten on the way."""
    now = timezone.now()
    with transaction.atomic():
        if connections:
            open_rows = AgentConnection.objects.filter(channel_name__in=connections, closed_at__isnull=True)
            if open_rows.update(seen_at=now) < len(connections):
                _record_again(connections, now)
        AgentConnection.objects.filter(seen_at__lt=now - _remembered_for()).delete()


def _record_again(connections: dict[str, int], now) -> None:
    known = set(AgentConnection.objects.filter(channel_name__in=connections).values_list("channel_name", flat=True))
    agents = set(Agent.objects.filter(pk__in=set(connections.values())).values_list("pk", flat=True))
    AgentConnection.objects.bulk_create(
        [
            AgentConnection(channel_name=name, agent_id=agent_id, opened_at=now, seen_at=now)
            for name, agent_id in connections.items()
            if name not in known and agent_id in agents
        ],
        ignore_conflicts=True,
    )


def _remembered_for() -> timedelta:
    """Past this, a row counts for nobody (chat.selectors.signs_of_life) and can go."""
    beats = selectors.STALE_BEATS * settings.AGENT_PRESENCE_HEARTBEAT_SECONDS
    return timedelta(seconds=max(beats, settings.AGENT_AWAY_AFTER_SECONDS) + 60)


def agent_signed_out(*, actor: Agent) -> None:
    """Signing out sets a chat-enabled agent Offline (taking their offers away), whatever other
    sessions they have: they said they are leaving."""
    if actor.chat_enabled and actor.chat_status != Agent.ChatStatus.OFFLINE:
        agent_update_chat_settings(actor=actor, chat_status=Agent.ChatStatus.OFFLINE)
