"""/healthz (liveness: no dependency touched) and /readyz (database, Redis, a worker, beat's sweep),
each dependency down in turn, the cost of a readiness probe and the evidence the sweep and the
workers leave in Redis (helpdesk/platform/health.py)."""

import json
import statistics
import time
import urllib.error
import urllib.request
import uuid
from unittest import mock

import pytest
import redis
from django.conf import settings
from django.db import OperationalError

from chat.tasks import chat_sweep_overdue
from helpdesk.celery import RecordWorkerSeen
from helpdesk.platform import health
from tests.support.processes import free_port, wait_until

ALL_OK = {"database": "ok", "redis": "ok", "worker": "ok", "beat": "ok"}


@pytest.fixture
def own_keys(settings):
    """Evidence keys of this test's own: none left by an earlier test or a worker it started."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"hz-{uuid.uuid4().hex}"}}


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.fixture
def running(own_keys):
    """A worker seen and a sweep run a moment ago."""
    health.record_sweep_ran()


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL)


def test_healthz_answers_without_database_or_redis(client, redis_down):
    """No `db` fixture: pytest-django fails any database access, so none happens."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {}}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_all_up(db, client, running):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": ALL_OK}


def test_readyz_is_cheap(db, client, running):
    client.get("/readyz")  # the first call opens the Redis pool
    timings = []
    for _ in range(7):
        start = time.perf_counter()
        response = client.get("/readyz")
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    assert statistics.median(timings) < 0.050, timings


def test_readyz_database_down(db, client, running):
    with mock.patch.object(health.connection, "cursor", side_effect=OperationalError("connection refused by host db")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"  # its own JSON, not the 503 page
    assert response.json() == {
        "status": "failing",
        "checks": {**ALL_OK, "database": "failing: OperationalError"},
    }
    assert b"refused" not in response.content and b"host" not in response.content


def test_readyz_redis_down_answers_quickly(db, client, redis_down):
    start = time.perf_counter()
    response = client.get("/readyz")
    assert time.perf_counter() - start < 2
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"] == "failing: ConnectionError"
    assert checks["worker"].startswith("failing:") and checks["beat"].startswith("failing:")
    assert b"127.0.0.1" not in response.content


def test_readyz_no_worker_seen(db, client, running):
    _redis().delete(health._key("worker"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "worker": "failing: no worker seen in the last 60 s"}


def test_readyz_no_recent_sweep(db, client, own_keys, settings):
    settings.CHAT_SWEEP_INTERVAL_SECONDS = 5
    health.record_worker_seen()  # workers are up, beat is not
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "beat": "failing: no sweep ran in the last 10 s"}


def test_the_sweep_records_its_run(db, own_keys, settings):
    settings.CHAT_SWEEP_INTERVAL_SECONDS = 7
    chat_sweep_overdue()
    client = _redis()
    assert 0 < client.ttl(health._key("sweep")) <= 14
    assert 0 < client.ttl(health._key("worker")) <= 60


def test_the_sweep_runs_with_redis_down(db, redis_down):
    chat_sweep_overdue()  # the evidence is lost, the sweep's work is not


def test_worker_bootstep_records_on_the_consumers_timer(own_keys):
    timer = mock.Mock()
    parent = mock.Mock(timer=timer)
    step = RecordWorkerSeen(parent)
    step.start(parent)
    assert _redis().exists(health._key("worker"))
    timer.call_repeatedly.assert_called_once_with(health.WORKER_BEAT_SECONDS, health.record_worker_seen)
    step.stop(parent)
    timer.cancel.assert_called_once_with(timer.call_repeatedly.return_value)


def test_probes_are_exempt_from_the_https_redirect_but_not_the_host_check(db, client, settings, running):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/agent/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz", HTTP_HOST="not-ours.example").status_code == 400


def test_probes_only_read(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_readyz_through_a_real_worker_and_server(celery_worker, daphne_server):
    """The evidence as the real processes leave it: the worker's consumer and beat's sweep."""
    client = _redis()
    for name in ("worker", "sweep"):
        client.delete(health._key(name))

    def ready():
        try:
            with urllib.request.urlopen(f"{daphne_server.url}/readyz", timeout=5) as response:
                return json.load(response) == {"status": "ok", "checks": ALL_OK}
        except urllib.error.HTTPError as error:  # 503 until the worker and the sweep have run
            assert error.code == 503
            return False

    wait_until(ready, timeout=15, interval=0.2)
