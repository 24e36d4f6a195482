"""`manage.py` in a `make run` checkout needs nothing exported: without SECRET_KEY it uses the key
`make run` keeps in .local/secret_key (tools/devstack.py), on the database `make run` uses. Without
that file a missing key stays an error, and a SECRET_KEY in the environment always wins.

Each test runs a copy of manage.py in a temporary "checkout" (its own .local/), with the project on
PYTHONPATH, so the real .local/ is never read or written."""

import os
import shutil
import socket
import subprocess
import sys

import pytest

from tests.support.processes import BASE_DIR
from tools import devstack

# Where `make run` keeps its SQLite database (read before a test points devstack elsewhere).
MAKE_RUN_DATABASE = devstack.LOCAL_DIR / "db.sqlite3"
SHOW_SETTINGS = "from django.conf import settings as s; print(s.SECRET_KEY); print(s.DATABASES['default']['NAME'])"


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A checkout after `make run` set it up: manage.py beside the .local/secret_key that
    devstack's own code wrote; returns it and the environment `make run` gives its processes."""
    shutil.copy(BASE_DIR / "manage.py", tmp_path / "manage.py")
    monkeypatch.setattr(devstack, "LOCAL_DIR", tmp_path / ".local")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # so that no embedded Redis starts
    run_env, started = devstack.prepare_environment(persistent_redis=True)
    assert started == []
    return tmp_path, run_env


def _manage(checkout_dir, *args, **env) -> subprocess.CompletedProcess:
    """manage.py as a developer's shell runs it: no SECRET_KEY, no DATABASE_URL exported."""
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "PYTHONPATH")}
    environ.update(PYTHONPATH=str(BASE_DIR), **env)
    return subprocess.run(
        [sys.executable, str(checkout_dir / "manage.py"), *args],
        cwd=checkout_dir,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_manage_py_uses_make_runs_key_and_database(checkout):
    checkout_dir, run_env = checkout
    key = (checkout_dir / ".local" / "secret_key").read_text().strip()
    assert run_env["SECRET_KEY"] == key
    # `make run` leaves DATABASE_URL alone, so its Daphne and Celery use settings' default: the
    # same database a plain manage.py uses.
    assert "DATABASE_URL" not in run_env
    result = _manage(checkout_dir, "shell", "--no-imports", "-c", SHOW_SETTINGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [key, str(MAKE_RUN_DATABASE)]


def test_create_agent_as_the_readme_writes_it(checkout, tmp_path):
    """No SECRET_KEY exported, and no Redis needed (REDIS_URL points at a closed port)."""
    checkout_dir, _ = checkout
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "REDIS_URL": "redis://127.0.0.1:1/0"}
    migrated = _manage(checkout_dir, "migrate", "--noinput", "-v", "0", **database)
    assert migrated.returncode == 0, migrated.stderr
    created = _manage(
        checkout_dir, "create_agent", "bob", "--password", "S3cret!pw", "--email", "bob@example.com", "--name", "Bob",
        **database,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    lines = created.stdout.strip().splitlines()
    assert lines[0].startswith("Created agent Bob (id ")
    assert len(lines[-1]) == 40  # the API token, alone on the last line


def test_without_the_key_file_a_missing_key_stays_an_error(tmp_path):
    """.local/ without secret_key (and so any production host, whose image has no .local/)."""
    shutil.copy(BASE_DIR / "manage.py", tmp_path / "manage.py")
    (tmp_path / ".local").mkdir()
    result = _manage(tmp_path, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_a_key_in_the_environment_wins(checkout):
    checkout_dir, _ = checkout
    result = _manage(checkout_dir, "shell", "--no-imports", "-c", SHOW_SETTINGS, SECRET_KEY="from-the-environment")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "from-the-environment"


def test_manage_py_talks_to_make_runs_redis_while_it_runs(checkout):
    """The embedded Redis's socket in .local/ (tools/devstack.py) is used when REDIS_URL is unset,
    so what a command publishes reaches the running stack; a REDIS_URL exported still wins."""
    checkout_dir, _ = checkout
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(checkout_dir / ".local" / "redis.sock"))
    show = "from django.conf import settings as s; print(s.REDIS_URL)"
    try:
        environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        unset = subprocess.run(
            [sys.executable, str(checkout_dir / "manage.py"), "shell", "--no-imports", "-c", show],
            cwd=checkout_dir, env={**environ, "PYTHONPATH": str(BASE_DIR)}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        exported = _manage(checkout_dir, "shell", "--no-imports", "-c", show, REDIS_URL="redis://127.0.0.1:6399/2")
    finally:
        listening.close()
    assert unset.returncode == 0, unset.stderr
    assert unset.stdout.strip() == f"unix://{checkout_dir / '.local' / 'redis.sock'}?db=0"
    assert exported.stdout.strip() == "redis://127.0.0.1:6399/2"
