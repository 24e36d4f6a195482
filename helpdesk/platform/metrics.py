"""Prometheus metrics: what the processes count, and `GET /metrics` in Prometheus' text format.

Two kinds of metrics:
- Counted where things happen (the counters, histograms and the open-websocket gauge below), in
  whichever process that is: a Daphne process or a Celery worker.
- Read from the database at scrape time (chat/metrics.py): collectors that helpdesk/urls.py hands to
  `metrics_view`. The process answering the scrape emits them once; they are never summed.

Processes. With PROMETHEUS_MULTIPROC_DIR set (in the environment, before the process starts) every
process writes its values to files in that directory, and a scrape of any one Daphne process sums
all of them, Celery workers included. Each process is named by `<hostname>-<pid>`, so containers of
one host may share the directory (a volume). Open websockets are summed over live processes only:
a process removes its gauge file when it exits, and a scrape removes those of this host's
processes that died without doing so. Without the variable each process keeps its own values:
every Daphne process must be scraped on its own, and what Celery workers count is not visible.

Access: clients from METRICS_ALLOWED_IPS (addresses or networks; client_ip's TRUSTED_PROXY_COUNT
rule) or with `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets 404, as for a path that
does not exist. No session, CSRF or rate limit; exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT).
"""

import atexit
import glob
import hmac
import ipaddress
import logging
import os
import re
import socket
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics, generate_latest, values
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from helpdesk.platform.http import client_ip

logger = logging.getLogger(__name__)

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _host() -> str:
    # prometheus_client splits file names on "_": a process's name must hold none.
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"


def process_name(pid: int | None = None) -> str:
    return f"{_host()}-{pid or os.getpid()}"


if MULTIPROCESS_DIR:
    os.makedirs(MULTIPROCESS_DIR, exist_ok=True)
    # Named by host and pid, not pid alone: processes of containers sharing the directory may
    # have the same pid. Set before any metric below is made (each takes its value class then).
    values.ValueClass = values.MultiProcessValue(process_identifier=process_name)
    # A process with the name of one that died without cleaning up (a restarted container) does
    # not take over its open-websocket count.
    mark_process_dead(process_name(), MULTIPROCESS_DIR)
    _started_by = os.getpid()
    # Not in forked children (Celery's pool): they leave with os._exit and count no sockets.
    atexit.register(lambda: os.getpid() == _started_by and mark_process_dead(process_name(), MULTIPROCESS_DIR))


# No `_created` series beside each counter and histogram: Prometheus does not need them (and
# multiprocess mode has none).
disable_created_metrics()

# Counted where it happens ---------------------------------------------------------------------

CHATS_STARTED = Counter("helpdesk_chats_started", "Chats visitors started.")
CHATS_ACCEPTED = Counter("helpdesk_chats_accepted", "Waiting chats an agent took (accepted, or assigned by a manager).")
CHATS_MISSED = Counter(
    "helpdesk_chats_missed",
    "Waiting chats nobody took, filed as Missed Chats tickets; reason no_answer or no_agents.",
    ["reason"],
)
CHATS_ABANDONED = Counter(
    "helpdesk_chats_abandoned", "Waiting chats their visitor left before anyone took them (also filed as missed)."
)
CHATS_ENDED = Counter("helpdesk_chats_ended", "Chats that ended after an agent took them.")
MESSAGES = Counter("helpdesk_messages", "Messages written in chats, internal notes included.", ["sender"])
MESSAGE_FRAME_LATENCY = Histogram(
    "helpdesk_message_frame_latency_seconds",
    "From a message's commit to its frame leaving the server on a socket, per receiving socket.",
    ["socket"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
TIMER_LATENESS = Histogram(
    "helpdesk_timer_lateness_seconds",
    "How long after its stored due moment timed work ran (0 when a countdown ran it a hair early).",
    ["timer"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
WEBHOOK_ATTEMPTS = Counter(
    "helpdesk_webhook_deliveries",
    "Webhook delivery attempts by outcome: succeeded, retry (failed, another attempt follows), "
    "failed (the last attempt failed: given up).",
    ["outcome"],
)
OPEN_WEBSOCKETS = Gauge(
    "helpdesk_websockets_open",
    "Open websockets (summed over the live server processes in multiprocess mode).",
    ["socket"],
    multiprocess_mode="livesum",
)

# Children bound once: labels() on every message would look them up each time.
_MESSAGES_BY_SENDER = {kind: MESSAGES.labels(kind) for kind in ("visitor", "agent", "system")}
_FRAME_LATENCY_BY_SOCKET = {kind: MESSAGE_FRAME_LATENCY.labels(kind) for kind in ("visitor", "agent")}
_OPEN_WEBSOCKETS_BY_SOCKET = {kind: OPEN_WEBSOCKETS.labels(kind) for kind in ("visitor", "agent")}
MISSED_REASONS = ("no_answer", "no_agents")
for _reason in MISSED_REASONS:
    CHATS_MISSED.labels(_reason)  # each series shows 0 before its first
for _outcome in ("succeeded", "retry", "failed"):
    WEBHOOK_ATTEMPTS.labels(_outcome)
TIMERS = ("chat_end", "chat_missed", "transfer_expiry", "invitation_expiry", "offer_expiry")
for _timer in TIMERS:
    TIMER_LATENESS.labels(_timer)
ABANDONED = "abandoned"


def chat_event_committed(event: str, *, reason: str | None = None) -> None:
    """Count a chat's state change; called by log_chat_event once it has committed."""
    if event == "chat.started":
        CHATS_STARTED.inc()
    elif event == "chat.accepted":
        CHATS_ACCEPTED.inc()
    elif event == "chat.ended":
        CHATS_ENDED.inc()
    elif event == "chat.missed":
        if reason == ABANDONED:
            CHATS_ABANDONED.inc()
        else:
            CHATS_MISSED.labels(reason or "no_answer").inc()


def count_message_on_commit(sender_kind: str) -> None:
    counter = _MESSAGES_BY_SENDER.get(sender_kind)
    if counter is not None:
        transaction.on_commit(counter.inc)


def message_frame_sent(committed_at: float | None, *, socket_kind: str) -> None:
    """A `message` frame left for a socket; `committed_at` is the stamp its event carries
    (helpdesk.platform.events.COMMITTED_AT), a wall-clock time (compared across processes)."""
    if committed_at is not None:
        _FRAME_LATENCY_BY_SOCKET[socket_kind].observe(max(0.0, time.time() - committed_at))


def timer_ran_on_commit(timer: str, lateness_seconds: float) -> None:
    transaction.on_commit(lambda: TIMER_LATENESS.labels(timer).observe(max(0.0, lateness_seconds)))


def webhook_attempt_recorded(outcome: str) -> None:
    WEBHOOK_ATTEMPTS.labels(outcome).inc()


def websocket_opened(socket_kind: str) -> None:
    _OPEN_WEBSOCKETS_BY_SOCKET[socket_kind].inc()


def websocket_closed(socket_kind: str) -> None:
    _OPEN_WEBSOCKETS_BY_SOCKET[socket_kind].dec()


# The scrape ----------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_dead_processes(directory: str) -> None:
    """Remove the open-websocket files of this host's processes that died without doing so."""
    prefix = f"{_host()}-"
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        name = os.path.basename(path)[: -len(".db")].split("_", 2)[2]
        pid = name[len(prefix) :] if name.startswith(prefix) else ""
        if pid.isdigit() and not _alive(int(pid)):
            mark_process_dead(name, directory)


class _Scrape:
    """What one scrape exposes: the process metrics, then the scrape-time collectors."""

    def __init__(self, sources: Iterable):
        self.sources = sources

    def collect(self):
        for source in self.sources:
            yield from source.collect()


def _process_metrics():
    if not MULTIPROCESS_DIR:
        return REGISTRY  # this process's own, with process_* and python_* metrics
    drop_dead_processes(MULTIPROCESS_DIR)
    return MultiProcessCollector(None, path=MULTIPROCESS_DIR)


def _networks(entries: Iterable[str]) -> list:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def may_scrape(request) -> bool:
    """A client from METRICS_ALLOWED_IPS, or one presenting METRICS_TOKEN."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    address = client_ip(request.META)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    candidates = [ip, ip.ipv4_mapped] if ip.version == 6 and ip.ipv4_mapped else [ip]
    return any(candidate in network for network in _networks(settings.METRICS_ALLOWED_IPS) for candidate in candidates)


def metrics_view(*, scrape_time: Iterable = ()):
    """The `/metrics` view, exposing the process metrics and the `scrape_time` collectors
    (objects with a `collect()` yielding metric families)."""
    scrape_time = list(scrape_time)

    @never_cache
    @require_safe
    def metrics(request):
        if not may_scrape(request):
            raise Http404
        body = generate_latest(_Scrape([_process_metrics(), *scrape_time]))
        # The text format every Prometheus reads (our names need none of 1.0.0's escaping).
        return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)

    return metrics
