"""The live monitor's frames (docs/protocol.md, "Live monitor"): whatever changes what a manager's
monitor shows is published to the `monitor` group once it commits, as `monitor.chat` (a chat's
state, owner or participants) and `monitor.agent` (an agent's chat status, presence or number of
open chats). Each call reads the chat or agent as the current transaction leaves it: call it after
the change, in the same transaction.

Presence turns "away" with no write at all (chat.selectors.with_presence reads it at query
time): the periodic sweep finds the agents who went away since its last runs and publishes them
(monitor_presence_sweep), so the monitor shows it within CHAT_SWEEP_INTERVAL_SECONDS.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from chat import frames, selectors
from helpdesk.platform.events import publish_to_monitors

# How many sweep intervals back monitor_presence_sweep looks.
PRESENCE_SWEEP_WINDOW_SWEEPS = 4


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


def monitor_presence_sweep(*, now=None) -> list[int]:
    """The sweep's part (chat.tasks.chat_sweep_overdue, every CHAT_SWEEP_INTERVAL_SECONDS): the
    agents who went away lately (their last socket closed longer than AGENT_AWAY_AFTER_SECONDS
    ago, or the server process holding it died), to the monitors; their ids. "Lately" spans a few
    sweeps, so a late or lost run misses nobody; a repeated frame changes nothing."""
    now = now or timezone.now()
    since = now - timedelta(seconds=PRESENCE_SWEEP_WINDOW_SWEEPS * settings.CHAT_SWEEP_INTERVAL_SECONDS)
    agent_ids = selectors.agents_gone_away_since(since, now)
    monitor_agents_changed(*agent_ids)
    return agent_ids
