"""The production shape (tools/devstack.py `prod_processes`, `make prod-local`) on the test
database, for tests that kill, restart and load its processes.

    async def test_something(prod_stack):           # or a sync test
        reply = prod_stack.http("GET", "/api/v1/departments/")                  # Daphne 1
        reply = prod_stack.http("GET", "/api/v1/agents/me/", token=key, daphne=1)  # Daphne 2
        prod_stack.kill("daphne-1"); prod_stack.start("daphne-1")
        prod_stack.restart("worker")

Every process runs with production defaults (DEBUG off, HTTPS only behind a TLS proxy, the
connection pool); only timings are short (CHAT_SWEEP_INTERVAL_SECONDS=1). Clients must do what
the TLS proxy does: send `X-Forwarded-Proto: https` on every request and handshake
(`prod_stack.http` and `PROXY_HEADERS` do), and, since cookies are Secure, send them by hand
(`http(..., cookies=...)`, `Reply.cookies`).

For other settings ask `prod_stack_factory(**env)` for a stack of your own (e.g.
`prod_stack_factory(CHAT_MISSED_AFTER_SECONDS=3)`); `prod_stack` is `prod_stack_factory()`.
"""

import asyncio
import http.client
import json
import os
import runpy
import signal
import threading
import urllib.parse
from dataclasses import dataclass
from email.message import Message as HeaderMessage
from http.cookies import SimpleCookie
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from django.db import connection

from tests.factories import accepted_chat
from tests.support.chat_clients import AgentSide, VisitorSide
from tests.support.processes import BASE_DIR, ManagedProcess, PrivateRedis, free_port, process_env
from tools.devstack import prod_environment, prod_processes

# What the TLS-terminating proxy adds to every request and websocket handshake.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
SHORT_TIMINGS = {"CHAT_SWEEP_INTERVAL_SECONDS": 1}
WORKER_CONCURRENCY = 2


@dataclass
class Reply:
    status: int
    headers: HeaderMessage
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def cookies(self) -> dict[str, str]:
        """name -> value of every Set-Cookie."""
        jar = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return {name: morsel.value for name, morsel in jar.items()}


class ProdStack:
    """Two Daphnes, a Celery worker and a Celery beat (separate processes) and a Redis of the
    stack's own, on the test database.

    - `daphnes`: the two Daphne processes; each has `.url`, `.ws_url`, `.app_name`.
    - `urls`, `ws_urls`: their base URLs (`http://127.0.0.1:port`, `ws://…`).
    - `worker` (`worker_concurrency` prefork children), `beat`, `redis` (`redis.url`, also
      `redis_url`): the other processes.
    - `processes`: name -> process, names `daphne-1`, `daphne-2`, `worker`, `beat`, `redis`.
    - `kill(name)` (SIGKILL, the whole process group), `stop(name)` (SIGTERM), `start(name)`
      (again on the same port / Redis), `restart(name)`; each process's output is in `.lines`.
    - `env`: the environment every process runs with (each adds its PGAPPNAME).
    - `settings`: the settings module's values as the servers see them (e.g.
      `settings["DATABASE_POOL_MAX_SIZE"]`, `settings["DATABASES"]`).
    - `http(method, path, ...)`: a request as through the TLS proxy, never following redirects.
    - `connections()`: PostgreSQL connections to the test database per application name
      (`helpdesk-daphne-1`, `helpdesk-daphne-2`, `helpdesk-worker`, `helpdesk-beat`);
      `terminate_connections()` ends the stack's ones.
    """

    def __init__(self, tmp_path: Path, **env):
        self.redis = PrivateRedis()
        self.redis_url = self.redis.url
        self.env = prod_environment(process_env(REDIS_URL=self.redis_url))
        self.env.update({key: str(value) for key, value in {**SHORT_TIMINGS, **env}.items()})
        with mock.patch.dict(os.environ, self.env, clear=True):
            self.settings = runpy.run_path(str(BASE_DIR / "helpdesk" / "settings.py"))
        specs = prod_processes([free_port(), free_port()], tmp_path / "beat-schedule", WORKER_CONCURRENCY)
        self.processes: dict[str, ManagedProcess] = {"redis": self.redis}
        self.app_names: dict[str, str] = {}
        for spec in specs:
            ready = {"worker": {"ready_text": " ready."}, "beat": {"ready_text": "beat: Starting"}}.get(spec.name, {})
            process = ManagedProcess(spec.args, {**self.env, **spec.env}, ready_port=spec.port, **ready)
            process.name, process.app_name = spec.name, spec.env["PGAPPNAME"]
            if spec.port:
                process.url, process.ws_url = f"http://127.0.0.1:{spec.port}", f"ws://127.0.0.1:{spec.port}"
            self.processes[spec.name] = process
            self.app_names[spec.name] = spec.env["PGAPPNAME"]
        self.daphnes = [self.processes["daphne-1"], self.processes["daphne-2"]]
        self.urls = [daphne.url for daphne in self.daphnes]
        self.ws_urls = [daphne.ws_url for daphne in self.daphnes]
        self.worker, self.beat = self.processes["worker"], self.processes["beat"]
        self.worker_concurrency = WORKER_CONCURRENCY

    def start_all(self) -> "ProdStack":
        self.redis.start()
        errors = []

        def start(process):
            try:
                process.start(timeout=60)
            except Exception as error:  # reported below, after every start has ended
                errors.append(error)

        threads = [threading.Thread(target=start, args=(p,)) for n, p in self.processes.items() if n != "redis"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return self

    def stop_all(self) -> None:
        # At once: the worker and beat take seconds each for a warm shutdown.
        threads = [threading.Thread(target=p.stop) for n, p in self.processes.items() if n != "redis"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.redis.stop()

    # Processes -----------------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        self.processes[name].stop(signal.SIGKILL)

    def stop(self, name: str) -> None:
        self.processes[name].stop()

    def start(self, name: str, timeout: float = 60) -> None:
        self.processes[name].start(timeout=timeout)

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    # Clients -------------------------------------------------------------------------------------

    def http(
        self,
        method: str,
        path: str,
        *,
        daphne: int = 0,
        json_body=None,
        form: dict | None = None,
        token: str | None = None,
        cookies: dict | None = None,
        headers: dict | None = None,
        timeout: float = 15,
    ) -> Reply:
        """One request to Daphne number `daphne` (0 or 1) as the TLS proxy forwards it: with
        `X-Forwarded-Proto: https`, cookies in a Cookie header, redirects not followed."""
        url = urllib.parse.urlsplit(self.urls[daphne])
        all_headers = {**PROXY_HEADERS, "Host": url.netloc}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token:
            all_headers["Authorization"] = f"Token {token}"
        if cookies:
            all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        all_headers.update(headers or {})
        client = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        try:
            client.request(method, path, body=body, headers=all_headers)
            response = client.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            client.close()

    def visitor(self, chat, daphne: int = 0) -> "ProxiedVisitorSide":
        """A visitor client of `chat` (tests/support/chat_clients.py: applies frames by seq,
        resyncs by reconnecting with after_seq) on Daphne number `daphne`, through the proxy."""
        side = ProxiedVisitorSide(self.daphnes[daphne], chat.pk, chat.token)
        side.stack, side.daphne = self, daphne
        return side

    def agent(self, chat, api_token: str, daphne: int = 0) -> "ProxiedAgentSide":
        """An agent client of `chat` (resyncs over REST by after_seq) on Daphne number `daphne`."""
        side = ProxiedAgentSide(self.daphnes[daphne], chat.pk, api_token)
        side.stack, side.daphne = self, daphne
        return side

    # PostgreSQL ----------------------------------------------------------------------------------

    def _admin_connection(self):
        settings = connection.settings_dict
        return psycopg.connect(
            dbname="postgres",
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            autocommit=True,
            application_name="helpdesk-prod-tests",
        )

    def connections(self) -> dict[str, int]:
        """Open connections to the test database per application name of the stack's processes
        (0 for a process with none). PostgreSQL only."""
        counts = dict.fromkeys(self.app_names.values(), 0)
        with self._admin_connection() as admin:
            rows = admin.execute(
                "SELECT application_name, count(*) FROM pg_stat_activity"
                " WHERE datname = %s AND application_name = ANY(%s) GROUP BY 1",
                [connection.settings_dict["NAME"], list(counts)],
            ).fetchall()
        counts.update(dict(rows))
        return counts

    def terminate_connections(self, names: list[str] | None = None) -> int:
        """End the database connections of the named processes (all of the stack's by default),
        as a PostgreSQL restart or an administrator would; how many were ended."""
        app_names = [self.app_names[name] for name in names] if names else list(self.app_names.values())
        with self._admin_connection() as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND application_name = ANY(%s)",
                [connection.settings_dict["NAME"], app_names],
            ).fetchall()
        return len(rows)


class Proxied:
    """What the TLS proxy adds to a client's handshakes; `use(n)` sends its next connections to
    Daphne number n, as the proxy does when the other one is down."""

    headers = PROXY_HEADERS
    stack: ProdStack
    daphne: int

    def use(self, daphne: int) -> None:
        self.daphne, self.server = daphne, self.stack.daphnes[daphne]


class ProxiedVisitorSide(Proxied, VisitorSide):
    pass


class ProxiedAgentSide(Proxied, AgentSide):
    async def resync(self) -> None:
        path = f"/api/v1/chats/{self.chat_id}/messages/?after_seq={self.last_seq}"
        reply = await asyncio.to_thread(self.stack.http, "GET", path, token=self.api_token, daphne=self.daphne)
        assert reply.status == 200, reply.body
        for message in reply.json():
            self.delivered.append(message["seq"])
            self.apply(message)
        self.gap = False


@pytest.fixture
def prod_stack_factory(transactional_db, tmp_path):
    """Start a production-shaped stack with extra settings: `prod_stack_factory(**env)`. Every
    stack started is stopped at the end of the test, before the database is flushed."""
    stacks: list[ProdStack] = []

    def start(**env) -> ProdStack:
        directory = tmp_path / f"stack-{len(stacks)}"
        directory.mkdir()
        stack = ProdStack(directory, **env)
        stacks.append(stack)
        return stack.start_all()

    yield start
    for stack in reversed(stacks):
        stack.stop_all()


@pytest.fixture
def prod_stack(prod_stack_factory) -> ProdStack:
    """The production shape with its defaults; see this module's docstring and ProdStack."""
    return prod_stack_factory()


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("counts and ends PostgreSQL connections (pg_stat_activity); runs in .ci/run")


@pytest.fixture
def chat(agent):
    """An active chat of `agent` (Alice); `chat.token` is the visitor's token."""
    return accepted_chat(agent=agent)


@pytest.fixture
def api_token(agent) -> str:
    return agent.api_key
