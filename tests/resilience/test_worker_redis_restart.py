"""Redis killed and started again (empty, as a cache-only Redis comes back) while the Celery
worker holds countdown tasks, with Daphne, the worker and beat as separate processes on a Redis
of the test's own, as production runs them."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Chat
from tests.support.chat_clients import fetch
from tests.support.processes import (
    BIN_DIR,
    ManagedProcess,
    daphne_process,
    logged,
    process_env,
    received,
    task_ids,
    wait_until,
)
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

# How late a timer may fire on a busy machine.
TOLERANCE_SECONDS = 1.0
CELERY = str(BIN_DIR / "celery")


def worker_process(redis, **env) -> ManagedProcess:
    """A worker without an embedded beat, so that no sweep can stand in for a lost countdown."""
    args = [CELERY, "-A", "helpdesk", "worker", "--loglevel", "INFO", "--concurrency", "2"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return ManagedProcess(args, process_env(REDIS_URL=redis.url, **env), ready_text=" ready.")


def beat_process(redis, tmp_path, **env) -> ManagedProcess:
    args = [CELERY, "-A", "helpdesk", "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")]
    return ManagedProcess(args, process_env(REDIS_URL=redis.url, **env), ready_text="beat: Starting")


def assert_alive(process) -> None:
    output = "".join(process.lines[-60:])
    assert process.process.poll() is None, f"{process.args[2:4]} exited:\n{output}"
    assert not logged(process, "Unrecoverable error"), output


def test_worker_stays_up_and_held_countdowns_fire_on_time(private_redis, managed, chat, api_token, sales):
    server = daphne_process(REDIS_URL=private_redis.url, CHAT_MISSED_AFTER_SECONDS=4)
    worker = worker_process(private_redis)
    managed(server)
    managed(worker)
    server.start()
    worker.start()
    visitor = {"name": "Vera", "email": "vera@example.org", "question": "Anyone?", "department": "sales"}
    status, _, body = fetch("POST", f"{server.url}/api/v1/visitor/chats/", visitor)
    assert status == 201, body
    waiting_id = json.loads(body)["chat_id"]
    status, _, body = fetch("POST", f"{server.url}/api/v1/chats/{chat.pk}/end/", {"delay_seconds": 4}, api_token)
    assert status == 200, body
    # The worker holds both countdowns (reserved, unacknowledged) when Redis dies.
    wait_until(lambda: received(worker, "chat_end_when_due") and received(worker, "chat_miss_when_due"))
    private_redis.kill()
    # Its first attempt to connect again fails (or, before the fix, it exits).
    wait_until(lambda: logged(worker, "Cannot connect to redis") or worker.process.poll() is not None)
    assert_alive(worker)

    ending = Chat.objects.get(pk=chat.pk)
    waiting = Chat.objects.get(pk=waiting_id)
    # Redis is back 2 s before the end is due, within the worker's 2 s wait before its next attempt.
    back_at = ending.ends_at - timedelta(seconds=2)
    assert timezone.now() < back_at, "the setup took too long for the timeline"
    time.sleep((back_at - timezone.now()).total_seconds())
    reconnect_from = len(worker.lines)
    private_redis.start()

    wait_until(lambda: logged(worker, "Connected to redis", since=reconnect_from) or worker.process.poll() is not None)
    assert_alive(worker)

    def closed():
        return (
            Chat.objects.filter(pk=chat.pk, status=Chat.Status.ENDED).exists()
            and Chat.objects.filter(pk=waiting_id, status=Chat.Status.MISSED).exists()
        )

    wait_until(closed, timeout=TOLERANCE_SECONDS + 5)
    ended, missed = Chat.objects.get(pk=chat.pk), Chat.objects.get(pk=waiting_id)
    assert (ended.ended_at - ending.ends_at).total_seconds() <= TOLERANCE_SECONDS
    assert (missed.ended_at - waiting.missed_deadline).total_seconds() <= TOLERANCE_SECONDS

    # Each once, whatever copies of the countdowns ran: every copy the worker received since Redis
    # came back (the ones it held before went with the connection) has finished.
    def copies_finished():
        return all(
            task_ids(worker, task, "received", reconnect_from) <= task_ids(worker, task, "succeeded", reconnect_from)
            for task in ("chat_end_when_due", "chat_miss_when_due")
        )

    wait_until(copies_finished)
    assert list(Ticket.objects.filter(source_chat=ended).values_list("kind", flat=True)) == [
        Ticket.Kind.CHAT_TRANSCRIPT
    ]
    assert list(Ticket.objects.filter(source_chat=missed).values_list("kind", flat=True)) == [Ticket.Kind.MISSED_CHAT]
    assert_alive(worker)


def test_beat_keeps_sending_the_sweep_after_redis_restarts(private_redis, managed, tmp_path):
    worker = worker_process(private_redis, CHAT_SWEEP_INTERVAL_SECONDS=1)
    beat = beat_process(private_redis, tmp_path, CHAT_SWEEP_INTERVAL_SECONDS=1)
    managed(worker)
    managed(beat)
    worker.start()
    beat.start()
    wait_until(lambda: received(worker, "chat_sweep_overdue"))

    private_redis.kill()
    # Beat tries to send at least one sweep while Redis is away.
    down_from = len(beat.lines)
    wait_until(lambda: logged(beat, "Sending due task", since=down_from), timeout=5)
    time.sleep(1)
    back_from = len(worker.lines)
    private_redis.start()

    wait_until(lambda: received(worker, "chat_sweep_overdue", since=back_from) >= 2, timeout=15)
    assert_alive(beat)
    assert_alive(worker)
