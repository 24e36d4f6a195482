"""The desk's state as Prometheus gauges, read from the database when /metrics is scraped
(helpdesk/urls.py hands `ChatStateCollector` to helpdesk.platform.metrics.metrics_view).

Four queries a scrape, whatever the number of chats, agents or departments; the rules of who is
online or available are the selectors' (chat_ready_q, signs_of_life, agents_to_offer). The process
answering the scrape emits them once, so they are never summed over processes.
"""

import logging

from django.db.models import Count, Exists, OuterRef, Q
from prometheus_client.core import GaugeMetricFamily

from chat import selectors
from chat.models import Chat
from helpdesk.models import Agent, Department

logger = logging.getLogger(__name__)

NO_DEPARTMENT = ""  # the label of chats without a department


def chat_counts() -> dict[tuple[str, str], int]:
    """(department slug, "waiting" | "active") -> open chats; every department present, at 0
    when it has none. "active" counts chats an agent talks in (active, or ending at a set moment)."""
    counts = {
        (slug, state): 0
        for slug in [NO_DEPARTMENT, *Department.objects.values_list("slug", flat=True)]
        for state in ("waiting", "active")
    }
    rows = (
        Chat.objects.filter(status__in=[Chat.Status.WAITING, *Chat.OPEN_STATUSES])
        .values_list("department__slug", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for slug, status, count in rows:
        state = "waiting" if status == Chat.Status.WAITING else "active"
        key = (slug or NO_DEPARTMENT, state)
        counts[key] = counts.get(key, 0) + count
    return counts


def agent_counts() -> dict[str, int]:
    """Active agents: `online` (chats may reach them now: chat_ready_q), `connected` (an open socket
    whose server process vouches for it), `available` (online with room for another chat)."""
    open_socket = selectors.signs_of_life().filter(agent=OuterRef("pk"), closed_at__isnull=True)
    counts = Agent.objects.filter(user__is_active=True).aggregate(
        online=Count("pk", filter=selectors.chat_ready_q()),
        connected=Count("pk", filter=Q(Exists(open_socket))),
    )
    counts["available"] = selectors.agents_to_offer(None).count()
    return counts


class ChatStateCollector:
    """Chats waiting and active per department; agents online, connected and available. If the
    database cannot be read, `helpdesk_database_up` says 0 and the other gauges are left out."""

    def collect(self):
        try:
            chats, agents = chat_counts(), agent_counts()
        except Exception as exc:
            logger.warning("metrics: the desk's state could not be read: %r", exc)
            yield GaugeMetricFamily("helpdesk_database_up", "Whether this scrape could read the database.", value=0)
            return
        yield GaugeMetricFamily("helpdesk_database_up", "Whether this scrape could read the database.", value=1)
        for state, meaning in (
            ("waiting", 'Chats waiting for an agent, per department ("": no department).'),
            ("active", 'Chats an agent talks in (active or ending), per department ("": no department).'),
        ):
            family = GaugeMetricFamily(f"helpdesk_chats_{state}", meaning, labels=["department"])
            for (slug, counted_state), count in sorted(chats.items()):
                if counted_state == state:
                    family.add_metric([slug], count)
            yield family
        for name, meaning in (
            ("online", "Agents chats may reach now: chat-enabled, Online, active and present."),
            ("connected", "Agents with an agent socket open."),
            ("available", "Online agents with room for another chat."),
        ):
            yield GaugeMetricFamily(f"helpdesk_agents_{name}", meaning, value=agents[name])
