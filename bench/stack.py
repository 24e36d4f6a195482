"""What the benchmarks share: a fresh database, Redis, server processes and their CPU/memory.

Everything listens on 127.0.0.1. Without DATABASE_URL the database is a new SQLite file in
.local/; with a PostgreSQL DATABASE_URL it is a new database `<name>_bench` on that server
(dropped and created each run, so a developer's data is never touched). Without REDIS_URL an
embedded redis-server is started, as `make run` does.
"""

import atexit
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil

BASE_DIR = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
sys.path.insert(0, str(BASE_DIR))

from tools.devstack import LOCAL_DIR, free_port, start_embedded_redis, wait_for_port  # noqa: E402


def fresh_database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        LOCAL_DIR.mkdir(exist_ok=True)
        path = LOCAL_DIR / "bench-chat.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_kind(env: dict) -> str:
    return "postgres" if env["DATABASE_URL"].startswith("postgres") else "sqlite"


def prepare_environment() -> tuple[dict, list[subprocess.Popen]]:
    """The environment every process of one run shares, and what was started for it."""
    run_id = secrets.token_hex(4)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=fresh_database_url(),
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
        CHANNEL_PREFIX=f"bench-{run_id}",
        CELERY_KEY_PREFIX=f"bench-{run_id}:",
        # The bench measures the message path, not the rate limits that guard it.
        API_RATE_USER="",
        API_RATE_VISITOR="",
        WS_RATE_VISITOR="",
        WS_RATE_AGENT="",
        WS_RATE_IP="",
        # Thousands of chats start from 127.0.0.1 (setup and the missed-chat load), most waiting.
        CHAT_START_RATE_IP="",
        CHAT_START_RATE_EMAIL="",
        CHAT_MAX_WAITING_PER_IP="0",
        CHAT_MAX_WAITING_PER_EMAIL="0",
        WS_FRAME_RATE_VISITOR="",
        WS_FRAME_RATE_AGENT="",
        WS_FRAME_RATE_IP="",
        # Thousands of sockets from one address (the load client), some agents with many.
        WS_MAX_SOCKETS_PER_VISITOR="0",
        WS_MAX_SOCKETS_PER_AGENT="0",
        WS_MAX_SOCKETS_PER_IP="0",
        # The servers listen on plain 127.0.0.1 with no TLS proxy.
        ALLOW_PLAIN_HTTP="1",
        PYTHONUNBUFFERED="1",
    )
    started = []
    if not env.get("REDIS_URL"):
        redis = start_embedded_redis(LOCAL_DIR, persistent=False)
        started.append(redis.process)
        atexit.register(redis.stop)  # also removes its socket directory
        env["REDIS_URL"] = redis.url
    os.environ.update(env)
    return env, started


def django_setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Servers:
    """`count` Daphne processes serving `app`, each on its own port."""

    def __init__(self, app: str, count: int, env: dict):
        self.app, self.env = app, env
        self.ports = [free_port() for _ in range(count)]
        self.processes: list[subprocess.Popen] = []

    def start(self) -> "Servers":
        for port in self.ports:
            args = [str(BIN_DIR / "daphne"), "-b", "127.0.0.1", "-p", str(port), self.app]
            self.processes.append(
                subprocess.Popen(args, cwd=BASE_DIR, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            )
        for port in self.ports:
            wait_for_port(port, timeout=30)
        self.ps = [psutil.Process(p.pid) for p in self.processes]
        return self

    def stop(self) -> None:
        stop(self.processes)

    def cpu_seconds(self) -> float:
        return sum(sum(p.cpu_times()[:2]) for p in self.ps)

    def rss_bytes(self) -> int:
        return sum(p.memory_info().rss for p in self.ps)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def process_cpu_seconds(names: tuple[str, ...]) -> float:
    """CPU used so far by every process with one of these names (Redis, PostgreSQL backends)."""
    total = 0.0
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] in names and process.info["cpu_times"] is not None:
            total += sum(process.info["cpu_times"][:2])
    return total


def write_result(name: str, result: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    result["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    path = RESULTS_DIR / f"{name}-{int(time.time())}.json"
    import json

    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
