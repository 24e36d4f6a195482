"""GET /metrics (helpdesk/platform/metrics.py, chat/metrics.py): who may scrape it, the text it
answers, the counters the services move, the gauges read from the database, the histograms of
timed work and of message frames, and several processes summed through PROMETHEUS_MULTIPROC_DIR."""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from chat import services as chat_services
from chat.models import Chat
from chat.tasks import chat_end_when_due, chat_miss_when_due
from helpdesk.actors import SYSTEM, ChatVisitor
from helpdesk.models import WebhookDelivery
from helpdesk.platform import metrics
from helpdesk.webhooks import http as webhook_http
from helpdesk.webhooks import services as webhooks
from helpdesk.webhooks.delivery import webhook_delivery_attempt
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tests.support.sockets import agent_socket, receive_type, visitor_facts, visitor_socket

TOKEN = "metrics-token-0123456789"
OUTSIDER = "203.0.113.7"


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    """The samples of one scrape, by (sample name, sorted labels)."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# Who may scrape ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loopback_may_scrape_and_the_text_parses(client):
    response = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "helpdesk_chats_started",
        "helpdesk_chats_accepted",
        "helpdesk_chats_missed",
        "helpdesk_chats_abandoned",
        "helpdesk_chats_ended",
        "helpdesk_messages",
        "helpdesk_message_frame_latency_seconds",
        "helpdesk_timer_lateness_seconds",
        "helpdesk_webhook_deliveries",
        "helpdesk_websockets_open",
        "helpdesk_chats_waiting",
        "helpdesk_chats_active",
        "helpdesk_agents_online",
        "helpdesk_agents_connected",
        "helpdesk_agents_available",
        "helpdesk_database_up",
    } <= names
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200  # a dual-stack socket


@pytest.mark.django_db
def test_other_addresses_get_404(client, settings):
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER).status_code == 404
    # Through one trusted proxy on loopback, the client is the proxy's X-Forwarded-For entry.
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR=OUTSIDER).status_code == 404
    settings.TRUSTED_PROXY_COUNT = 0  # without a trusted proxy the header is the client's own word
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is allowed only by the default


@pytest.mark.django_db
def test_token_opens_it_from_anywhere_and_a_wrong_one_does_not(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    for header in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer ", TOKEN):
        assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION=header).status_code == 404, header
    settings.METRICS_TOKEN = ""  # unset: no token opens it, not even an empty one
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
def test_exempt_from_the_https_redirect_and_sets_no_cookie(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/agent/").status_code == 301
    response = client.get("/metrics")
    assert response.status_code == 200
    assert not response.cookies


# Counters moved by the services ---------------------------------------------------------------


def _start(department=None) -> Chat:
    chat, _token = chat_services.chat_start(
        name="Vera", email="vera@example.org", question="?", department=department, facts=visitor_facts()
    )
    return chat


@pytest.mark.django_db
def test_counters_move_with_chats_and_messages(client, agent, sales, django_capture_on_commit_callbacks):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        answered = _start(sales)
        chat_services.chat_accept(actor=agent, chat_id=answered.pk)
        chat_services.message_post(actor=ChatVisitor.of(answered), chat_id=answered.pk, body="hello")
        chat_services.message_post(actor=agent, chat_id=answered.pk, body="hi, how can I help?")
        chat_services.message_post(actor=agent, chat_id=answered.pk, body="again", client_id="c1")
        chat_services.message_post(actor=agent, chat_id=answered.pk, body="again", client_id="c1")  # resent: once
        chat_services.chat_end(actor=agent, chat_id=answered.pk)
        left = _start(sales)
        chat_services.chat_end(actor=ChatVisitor.of(left), chat_id=left.pk)
        unanswered = _start(sales)
        Chat.objects.filter(pk=unanswered.pk).update(missed_deadline=timezone.now() - timedelta(seconds=1))
        chat_services.chat_mark_missed_when_due(chat_id=unanswered.pk)
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("helpdesk_chats_started_total") == 3
    assert moved("helpdesk_chats_accepted_total") == 1
    assert moved("helpdesk_chats_ended_total") == 1
    assert moved("helpdesk_chats_abandoned_total") == 1
    assert moved("helpdesk_chats_missed_total", reason="no_answer") == 1
    assert moved("helpdesk_chats_missed_total", reason="no_agents") == 0
    assert moved("helpdesk_messages_total", sender="visitor") == 1
    assert moved("helpdesk_messages_total", sender="agent") == 2


@pytest.mark.django_db
def test_nothing_counts_when_the_transaction_rolls_back(client, sales, django_capture_on_commit_callbacks):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _start(sales)
    assert callbacks  # held until a commit that never comes
    assert value(scrape(client), "helpdesk_chats_started_total") == value(before, "helpdesk_chats_started_total")


# Gauges read at scrape time ------------------------------------------------------------------


@pytest.mark.django_db
def test_chats_and_agents_gauges(client, sales, support):
    alice = AgentFactory(departments=[sales])  # online, connected, room: available
    AgentFactory(departments=[sales], chat_status="offline")  # connected only
    AgentFactory(departments=[sales], connected=False)  # Online but gone: none of the three
    dave = AgentFactory(departments=[support], max_concurrent_chats=1)  # online, connected, full
    gone = AgentFactory(departments=[sales])  # a deactivated account counts nowhere
    gone.user.is_active = False
    gone.user.save()
    ChatFactory.create_batch(2, department=sales)
    ChatFactory(department=None)
    accepted_chat(agent=dave, department=support)
    accepted_chat(
        agent=alice, department=None, status=Chat.Status.ENDING, ends_at=timezone.now() + timedelta(minutes=1)
    )
    ChatFactory(department=support, status=Chat.Status.ENDED)
    ChatFactory(department=support, status=Chat.Status.MISSED)

    samples = scrape(client)
    assert value(samples, "helpdesk_database_up") == 1
    waiting = {labels[0][1]: v for (name, labels), v in samples.items() if name == "helpdesk_chats_waiting"}
    active = {labels[0][1]: v for (name, labels), v in samples.items() if name == "helpdesk_chats_active"}
    assert waiting == {"sales": 2, "support": 0, "": 1}
    assert active == {"sales": 0, "support": 1, "": 1}
    assert value(samples, "helpdesk_agents_online") == 2  # alice, dave
    assert value(samples, "helpdesk_agents_connected") == 3  # alice, the offline one, dave
    assert value(samples, "helpdesk_agents_available") == 1  # alice


@pytest.mark.django_db
def test_gauges_take_few_queries(client, sales, support, django_assert_max_num_queries):
    for department in (sales, support):
        AgentFactory.create_batch(3, departments=[department])
        ChatFactory.create_batch(3, department=department)
    with django_assert_max_num_queries(4):
        client.get("/metrics")


@pytest.mark.django_db
def test_database_down_still_answers(client, monkeypatch):
    def unreadable():
        raise RuntimeError("database gone")

    monkeypatch.setattr("chat.metrics.chat_counts", unreadable)
    samples = scrape(client)
    assert value(samples, "helpdesk_database_up") == 0
    assert ("helpdesk_chats_started_total", ()) in samples


# Webhooks and timed work ---------------------------------------------------------------------


@pytest.mark.django_db
def test_webhook_attempts_by_outcome(client, agent, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    statuses = [500, 500, 200]
    monkeypatch.setattr(webhook_http, "post", lambda **kwargs: (statuses.pop(0), ""))
    webhooks.webhook_create(actor=SYSTEM, url="http://127.0.0.1:9/hook", events=["chat.accepted"], secret="s3cret")
    before = scrape(client)
    for chat in (ChatFactory(), ChatFactory()):
        chat_services.chat_accept(actor=agent, chat_id=chat.pk)
    first, second = WebhookDelivery.objects.order_by("pk")
    webhook_delivery_attempt(delivery_id=first.pk)  # 500: retry
    WebhookDelivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    webhook_delivery_attempt(delivery_id=first.pk)  # 500 on the last attempt: failed
    webhook_delivery_attempt(delivery_id=second.pk)  # 200
    webhook_delivery_attempt(delivery_id=second.pk)  # nothing left to do: not counted
    after = scrape(client)
    moved = {
        outcome: value(after, "helpdesk_webhook_deliveries_total", outcome=outcome)
        - value(before, "helpdesk_webhook_deliveries_total", outcome=outcome)
        for outcome in ("succeeded", "retry", "failed")
    }
    assert moved == {"succeeded": 1, "retry": 1, "failed": 1}


@pytest.mark.django_db
def test_timed_work_run_late_is_observed(client, agent, sales, django_capture_on_commit_callbacks):
    waiting = ChatFactory(department=sales, missed_deadline=timezone.now() - timedelta(seconds=3))
    ending = accepted_chat(agent=agent, status=Chat.Status.ENDING, ends_at=timezone.now() - timedelta(seconds=7))
    not_due = ChatFactory(department=sales)
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        chat_miss_when_due(waiting.pk)
        chat_end_when_due(ending.pk)
        chat_miss_when_due(not_due.pk)  # not due: nothing ran, nothing observed
        chat_miss_when_due(waiting.pk)  # already missed: nothing ran
    after = scrape(client)

    def moved(name, timer):
        return value(after, name, timer=timer) - value(before, name, timer=timer)

    assert moved("helpdesk_timer_lateness_seconds_count", "chat_missed") == 1
    assert 3 <= moved("helpdesk_timer_lateness_seconds_sum", "chat_missed") < 30
    late = {
        labels: v - before.get((name, labels), 0)
        for (name, labels), v in after.items()
        if name == "helpdesk_timer_lateness_seconds_bucket" and ("timer", "chat_missed") in labels
    }
    assert late[(("le", "2.5"), ("timer", "chat_missed"))] == 0
    assert late[(("le", "5.0"), ("timer", "chat_missed"))] == 1
    assert moved("helpdesk_timer_lateness_seconds_count", "chat_end") == 1
    assert 7 <= moved("helpdesk_timer_lateness_seconds_sum", "chat_end") < 30


# Websockets ----------------------------------------------------------------------------------


def _samples():
    from django.test import Client

    return scrape(Client())


@pytest.mark.django_db(transaction=True)
async def test_message_frames_are_timed_from_commit_to_socket(agent):
    chat = await database_sync_to_async(accepted_chat)(agent=agent)
    before = await database_sync_to_async(_samples)()
    visitor = await visitor_socket(chat)
    agent_ws = await agent_socket(agent)
    during = await database_sync_to_async(_samples)()
    assert (
        value(during, "helpdesk_websockets_open", socket="visitor")
        == value(before, "helpdesk_websockets_open", socket="visitor") + 1
    )
    assert (
        value(during, "helpdesk_websockets_open", socket="agent")
        == value(before, "helpdesk_websockets_open", socket="agent") + 1
    )

    await visitor.send_json_to({"type": "message.send", "body": "hello", "client_id": "v1"})
    to_visitor = await receive_type(visitor, "message")
    to_agent = await receive_type(agent_ws, "message")
    assert "committed_at" not in to_visitor and "committed_at" not in to_agent  # not the client's business
    await visitor.disconnect()
    await agent_ws.disconnect()
    after = await database_sync_to_async(_samples)()
    for kind in ("visitor", "agent"):
        count = "helpdesk_message_frame_latency_seconds_count"
        assert value(after, count, socket=kind) == value(before, count, socket=kind) + 1, kind
        latency = value(after, "helpdesk_message_frame_latency_seconds_sum", socket=kind) - value(
            before, "helpdesk_message_frame_latency_seconds_sum", socket=kind
        )
        assert 0 <= latency < 5
        assert value(after, "helpdesk_websockets_open", socket=kind) == value(
            before, "helpdesk_websockets_open", socket=kind
        )


# Several processes ---------------------------------------------------------------------------

COUNTING_PROCESS = textwrap.dedent(
    """
    import sys
    from helpdesk.platform import metrics

    started, sockets, then = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    metrics.CHATS_STARTED.inc(started)
    for _ in range(sockets):
        metrics.websocket_opened("agent")
    print("counted", flush=True)
    if then == "wait":
        sys.stdin.readline()
    elif then == "die":
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _counting_process(directory, started: int, sockets: int, then: str) -> subprocess.Popen:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    process = subprocess.Popen(
        [sys.executable, "-c", COUNTING_PROCESS, str(started), str(sockets), then],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "counted"
    return process


@pytest.mark.django_db
def test_processes_sharing_a_directory_are_summed(client, tmp_path, monkeypatch, agent):
    """Three processes count into one PROMETHEUS_MULTIPROC_DIR: one exits, one is killed, one
    runs on. A scrape sums their counters; open websockets only of the one still running (the
    killed one's are dropped at the scrape); the database gauges come once, not per process."""
    exited = _counting_process(tmp_path, started=2, sockets=1, then="exit")
    killed = _counting_process(tmp_path, started=3, sockets=4, then="die")
    running = _counting_process(tmp_path, started=5, sockets=2, then="wait")
    try:
        assert exited.wait(timeout=10) == 0
        assert killed.wait(timeout=10) == -signal.SIGKILL
        monkeypatch.setattr(metrics, "MULTIPROCESS_DIR", str(tmp_path))
        response = client.get("/metrics")
        assert response.status_code == 200
        families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
        assert value(samples, "helpdesk_chats_started_total") == 10
        assert value(samples, "helpdesk_websockets_open", socket="agent") == 2
        assert [s.value for s in families["helpdesk_agents_online"].samples] == [1]
        assert "process_cpu_seconds" not in families  # per-process numbers are not summed
    finally:
        running.communicate("\n", timeout=10)
    samples = scrape(client)  # the last one exited: its sockets no longer count
    assert value(samples, "helpdesk_websockets_open", socket="agent") == 0
    assert value(samples, "helpdesk_chats_started_total") == 10
