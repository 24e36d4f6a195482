"""Nobody left to answer: when the last agent who could take a department's waiting chats goes
Offline, signs out or goes away, those chats become Missed Chats tickets at once
(`missed_reason` "no_agents") and their visitors are told by `chat.missed`, instead of waiting
for CHAT_MISSED_AFTER_SECONDS. Switched by CHAT_MISS_WHEN_UNSTAFFED (on unless set False).

The rule (chat.services.ending.chats_miss_unstaffed) fires on the change "somebody could take
them → nobody can", never at a chat's start: a chat that started while nobody was there waits
for its deadline as before (what a visitor sees before starting is GET /api/v1/departments/).

This module holds the triggers, which only schedule the check by task name (the rule closes
chats, and the modules it needs import the ones that call these):

- an agent who was present goes Offline (or signs out, which sets them Offline): the check runs
  at once, told that this agent could answer until now;
- an Online agent's socket closes: the check runs when AGENT_AWAY_AFTER_SECONDS have passed
  (then, with no socket of theirs open again, they are away);
- and the sweep (chat.tasks.chat_sweep_overdue) runs it every CHAT_SWEEP_INTERVAL_SECONDS, which
  also finds agents whose server process died, from their connection rows.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from chat import selectors
from chat.models import AgentConnection, Chat
from helpdesk.models import Agent
from helpdesk.platform.deadlines import TIMER_TOLERANCE
from helpdesk.platform.scheduling import schedule_on_commit

UNSTAFFED_TASK = "chat.tasks.chats_miss_unstaffed"


def miss_when_unstaffed() -> bool:
    """CHAT_MISS_WHEN_UNSTAFFED: on unless a deployment turned it off."""
    return settings.CHAT_MISS_WHEN_UNSTAFFED


def staffing_agent_went_offline(agent: Agent) -> None:
    """Call in the transaction that sets `agent` Offline. If they were present until now (a
    socket open, or closed less than AGENT_AWAY_AFTER_SECONDS ago) and chats wait, the check
    runs once this commits, knowing that they could answer until this moment."""
    if not miss_when_unstaffed():
        return
    if not selectors.signs_of_life().filter(agent=agent).exists():
        return  # away already: going Offline takes nobody away
    if not Chat.objects.filter(status=Chat.Status.WAITING).exists():
        return
    schedule_on_commit(UNSTAFFED_TASK, agent.pk, timezone.now().isoformat())


def staffing_socket_closed(*, channel_name: str) -> None:
    """Call once the agent socket `channel_name` has been recorded as closed. If its agent is
    Online and enabled for chat, the check runs when they would be away, unless another socket
    of theirs is open by then (the check reads presence as it is then)."""
    if not miss_when_unstaffed():
        return
    closed_at = (
        AgentConnection.objects.filter(
            channel_name=channel_name,
            closed_at__isnull=False,
            agent__chat_enabled=True,
            agent__chat_status=Agent.ChatStatus.ONLINE,
        )
        .values_list("seen_at", flat=True)
        .first()
    )
    if closed_at is None:
        return
    # Just past the moment: a countdown may fire up to TIMER_TOLERANCE early.
    away_at = closed_at + timedelta(seconds=settings.AGENT_AWAY_AFTER_SECONDS) + TIMER_TOLERANCE
    schedule_on_commit(UNSTAFFED_TASK, eta=away_at)
