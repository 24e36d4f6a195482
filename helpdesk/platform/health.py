"""Liveness (`/healthz`) and readiness (`/readyz`) for load balancers and orchestrators.

Plain Django views (no DRF: no authentication, no throttles), answering their own JSON whatever
fails, so ServiceUnavailableMiddleware never turns a failing check into its HTML page. The bodies
name checks and short reasons only: no hosts, URLs, secrets or versions.

- `/healthz`: the process answers; touches neither the database nor Redis.
- `/readyz`: `database` (SELECT 1), `redis` (PING), `worker` and `beat`. Redis gets one
  pipelined round trip (PING and the two evidence keys) on a client with short timeouts and no
  retries, so a Redis that is down answers 503 within about a second.

Evidence of the background processes lives in Redis as keys with an expiry, judged by Redis'
own clock (no skew between machines):
- `worker`: every worker's consumer sets its key every WORKER_BEAT_SECONDS with a
  WORKER_SEEN_WITHIN_SECONDS expiry (helpdesk/celery.py), and every sweep a worker runs sets it
  too. Independent of beat: a worker idle for hours is still seen.
- `beat`: the periodic sweep (chat.tasks.chat_sweep_overdue, which only beat sends) sets its key
  with an expiry of twice CHAT_SWEEP_INTERVAL_SECONDS when a worker runs it. Its absence means
  beat or every worker is down; `worker` tells which.
"""

import logging
import threading

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.5
WORKER_SEEN_WITHIN_SECONDS = 60
WORKER_BEAT_SECONDS = 15
OK = "ok"

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _redis() -> redis.Redis:
    """One client (and pool) per Redis URL in this process: short timeouts and no retries, so a
    Redis that is down fails a check at once instead of stalling it."""
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.get(url)
            if client is None:
                client = _clients[url] = redis.Redis.from_url(
                    url,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    retry=Retry(NoBackoff(), 0),
                    max_connections=4,
                )
    return client


def _key(name: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:health:{name}"


def sweep_window_seconds() -> int:
    return 2 * settings.CHAT_SWEEP_INTERVAL_SECONDS


def _failing(exc: BaseException) -> str:
    # The exception's class only: its message may hold a host, a user name or a query.
    return f"failing: {type(exc).__name__}"


# Evidence, written by the background processes -----------------------------------------------


def record_worker_seen() -> None:
    """Called by every worker every WORKER_BEAT_SECONDS (helpdesk/celery.py). Never raises."""
    try:
        _redis().set(_key("worker"), "1", ex=WORKER_SEEN_WITHIN_SECONDS)
    except Exception:
        logger.warning("could not record that this worker is alive", exc_info=True)


def record_sweep_ran() -> None:
    """Called by the periodic sweep when it runs: beat sent it and a worker runs it. Never raises:
    a Redis hiccup must not stop the sweep's work."""
    try:
        with _redis().pipeline(transaction=False) as pipe:
            pipe.set(_key("sweep"), "1", ex=sweep_window_seconds())
            pipe.set(_key("worker"), "1", ex=WORKER_SEEN_WITHIN_SECONDS)
            pipe.execute()
    except Exception:
        logger.warning("could not record the sweep's run", exc_info=True)


# Checks ---------------------------------------------------------------------------------------


def _check_database() -> str:
    """Bounded by the pool's DATABASE_POOL_TIMEOUT when the database cannot be reached."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("readiness: database check failed: %r", exc)
        return _failing(exc)
    return OK


def _check_redis_and_evidence() -> dict[str, str]:
    try:
        with _redis().pipeline(transaction=False) as pipe:
            pipe.ping()
            pipe.exists(_key("worker"))
            pipe.exists(_key("sweep"))
            _pong, worker_seen, sweep_ran = pipe.execute()
    except Exception as exc:
        logger.warning("readiness: Redis check failed: %r", exc)
        unknown = "failing: Redis unavailable, cannot tell"
        return {"redis": _failing(exc), "worker": unknown, "beat": unknown}
    return {
        "redis": OK,
        "worker": OK if worker_seen else f"failing: no worker seen in the last {WORKER_SEEN_WITHIN_SECONDS} s",
        "beat": OK if sweep_ran else f"failing: no sweep ran in the last {sweep_window_seconds()} s",
    }


def _answer(checks: dict[str, str]) -> JsonResponse:
    healthy = all(result == OK for result in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503)


@never_cache
@require_safe
def healthz(request):
    return _answer({})


@never_cache
@require_safe
def readyz(request):
    return _answer({"database": _check_database(), **_check_redis_and_evidence()})
