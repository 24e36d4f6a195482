"""The live monitor's frames (docs/protocol.md, "Live monitor"): whatever changes what a manager's
monitor shows is published to the `monitor` group once it commits, as `monitor.chat` (a chat's
state, owner or participants) and `monitor.agent` (an agent's chat status, presence or number of
open chats). Each call reads the chat or agent as the current transaction leaves it: call it after
the change, in the same transaction.

Presence goes "away" with no write at all (chat.selectors.with_presence reads it at query time):
when an Online agent's socket closes, a task publishes their row again the moment they would be
away (MONITOR_AGENT_TASK), so the monitor shows it without polling.
"""

from datetime import timedelta

from django.conf import settings

from chat import frames, selectors
from chat.models import AgentConnection
from helpdesk.models import Agent
from helpdesk.platform.deadlines import TIMER_TOLERANCE
from helpdesk.platform.events import publish_to_monitors
from helpdesk.platform.scheduling import schedule_on_commit

MONITOR_AGENT_TASK = "chat.tasks.monitor_agent_publish"


def monitor_chat_changed(chat_id: int) -> None:
    """After commit, the monitors get the chat as it is now (`monitor.chat`)."""
    chat = selectors.monitor_chat(chat_id)
    if chat is not None:
        publish_to_monitors(frames.monitor_chat_frame(chat))


def monitor_agents_changed(*agent_ids: int | None) -> None:
    """After commit, the monitors get these agents as they are now (`monitor.agent`). An
    inactive agent is left out (the monitor lists active agents only)."""
    wanted = {agent_id for agent_id in agent_ids if agent_id is not None}
    if not wanted:
        return
    for agent in selectors.monitor_agents().filter(pk__in=wanted):
        publish_to_monitors(frames.monitor_agent_frame(agent))


def monitor_agent_publish(*, agent_id: int) -> None:
    """The task's service (MONITOR_AGENT_TASK): the agent as they are now, to the monitors."""
    monitor_agents_changed(agent_id)


def monitor_socket_closed(*, channel_name: str) -> None:
    """Call once the agent socket `channel_name` has been recorded as closed: the monitors get
    the agent now, and again when the agent would be away (unless they are Offline: then
    presence cannot change by time)."""
    row = (
        AgentConnection.objects.filter(channel_name=channel_name)
        .values_list("agent_id", "seen_at", "agent__chat_enabled", "agent__chat_status")
        .first()
    )
    if row is None:
        return
    agent_id, closed_at, chat_enabled, chat_status = row
    monitor_agents_changed(agent_id)
    if chat_enabled and chat_status == Agent.ChatStatus.ONLINE:
        # Just past the moment: a countdown may fire up to TIMER_TOLERANCE early.
        away_at = closed_at + timedelta(seconds=settings.AGENT_AWAY_AFTER_SECONDS) + TIMER_TOLERANCE
        schedule_on_commit(MONITOR_AGENT_TASK, agent_id, eta=away_at)
