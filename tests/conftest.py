import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from chat.throttles import ChatStartThrottle
from helpdesk.errors import DomainError
from tests.factories import AgentFactory, DepartmentFactory

BASE_DIR = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent


@pytest.fixture
def sales(db):
    return DepartmentFactory(name="Sales", slug="sales")


@pytest.fixture
def support(db):
    return DepartmentFactory(name="Support", slug="support")


@pytest.fixture
def agent(sales):
    return AgentFactory(display_name="Alice", departments=[sales])


@pytest.fixture
def other_agent(sales):
    return AgentFactory(display_name="Bob", departments=[sales])


CHAT_START_LIMITS_OFF = {
    "CHAT_START_RATE_IP": "",
    "CHAT_START_RATE_EMAIL": "",
    "CHAT_MAX_WAITING_PER_IP": "0",
    "CHAT_MAX_WAITING_PER_EMAIL": "0",
}


@pytest.fixture(autouse=True)
def _own_chat_start_counts(monkeypatch):
    """Each test counts chat starts afresh, as it has its own database: the limits stay the
    production defaults, but starts of earlier tests (all from 127.0.0.1) do not count."""
    monkeypatch.setattr(ChatStartThrottle, "cache_format", f"throttle_{uuid.uuid4().hex}_%(scope)s_%(ident)s")


def race(*actions) -> list[str]:
    """Run the callables at the same moment, each on its own connection; their outcomes
    ("ok" or the DomainError code) in the order given."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            action()
            outcomes[index] = "ok"
        except DomainError as error:
            outcomes[index] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def api_client_for(agent) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {agent.api_key}")
    return client


@pytest.fixture
def api(agent):
    return api_client_for(agent)


@pytest.fixture
def published(monkeypatch):
    """Every channel-layer event published after commit, as (group, event) pairs."""
    sent = []
    monkeypatch.setattr("helpdesk.events._publish", lambda group, event: sent.append((group, event)))
    return sent


def frames_to(published, group: str) -> list[dict]:
    return [event.get("frame", event) for g, event in published if g == group]


# Real processes ------------------------------------------------------------------------------


def _test_database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def _process_env(**extra) -> dict:
    env = dict(os.environ, DATABASE_URL=_test_database_url(), PYTHONUNBUFFERED="1")
    env.update({key: str(value) for key, value in extra.items()})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ManagedProcess:
    """A child process whose output is kept, started and stopped by a fixture."""

    def __init__(self, args, env, ready_text: str | None = None, ready_port: int | None = None):
        self.args, self.env, self.ready_text, self.ready_port = args, env, ready_text, ready_port
        self.lines: list[str] = []
        self.process = None

    def start(self, timeout: float = 30) -> "ManagedProcess":
        self.lines.clear()
        ready = threading.Event()
        self.process = subprocess.Popen(
            self.args,
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so stop() reaches pool children too
        )

        def pump():
            for line in self.process.stdout:
                self.lines.append(line)
                if self.ready_text and self.ready_text in line:
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.args[0]} exited:\n{''.join(self.lines)}")
            if self.ready_text and ready.wait(0.05):
                return self
            if self.ready_port and _port_open(self.ready_port):
                return self
        raise RuntimeError(f"{self.args[0]} not ready in {timeout}s:\n{''.join(self.lines)}")

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def celery_worker_process(tmp_path, sweep_seconds: int = 1, **env) -> ManagedProcess:
    """A real Celery worker with beat on the test database and the run's Redis; `env` adds
    settings for it (e.g. WEBHOOK_ALLOW_PRIVATE=1)."""
    args = [
        str(BIN_DIR / "celery"), "-A", "helpdesk", "worker", "--beat", "--loglevel", "INFO",
        "--concurrency", "2", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--schedule", str(tmp_path / "beat-schedule"),
    ]  # fmt: skip
    env = _process_env(CHAT_SWEEP_INTERVAL_SECONDS=sweep_seconds, **env)
    return ManagedProcess(args, env, ready_text=" ready.")


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    worker = celery_worker_process(tmp_path).start()
    yield worker
    worker.stop()


def daphne_process(port: int | None = None, **env) -> ManagedProcess:
    """A Daphne server on 127.0.0.1 (a free port unless given) with the test database; `env`
    adds settings for it. Not started: call .start(), and .start() again after a .stop() to
    restart it on the same port."""
    port = port or free_port()
    args = [str(BIN_DIR / "daphne"), "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"]
    # Every test of the session starts its chats from 127.0.0.1 against the run's shared counters:
    # the per-address and per-e-mail chat-start limits are off here (tests/chat/test_start_limits.py
    # checks them), unless a test passes its own.
    env = {**CHAT_START_LIMITS_OFF, **env}
    server = ManagedProcess(args, _process_env(**env), ready_port=port)
    server.url = f"http://127.0.0.1:{port}"
    server.ws_url = f"ws://127.0.0.1:{port}"
    return server


@pytest.fixture
def daphne_server(transactional_db):
    server = daphne_process().start()
    yield server
    server.stop()


def wait_until(predicate, timeout: float = 10, interval: float = 0.02):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def pytest_collection_modifyitems(items):
    # Playwright's sync API keeps an event loop running in the main thread for the whole session,
    # which async tests cannot share: browser tests run last.
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)


@pytest.fixture
def agents_group(transactional_db):
    """The "Agents" group with the permissions its data migration grants. Transactional tests
    flush every table between tests, migration data included, so they ask for it again."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("canned.migrations.0002_agents_group")
    group, _ = Group.objects.get_or_create(name="Agents")
    group.permissions.add(*Permission.objects.filter(codename__in=migration.AGENT_PERMISSIONS))
    return group
