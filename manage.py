#!/usr/bin/env python
import os
import sys
from pathlib import Path
from urllib.parse import quote

# `make run` and `make test` (tools/devstack.py) keep a generated key here. In such a checkout
# manage.py uses it when SECRET_KEY is unset, so `manage.py create_agent ...` works as written
# (and on the same database: settings' default, .local/db.sqlite3, is what `make run` uses too).
# Only here, the developer's entry point: settings, Daphne and Celery never read the file, and
# the image has no .local/ (.dockerignore), so in production a missing key stays an error.
LOCAL_DIR = Path(__file__).resolve().parent / ".local"
LOCAL_SECRET_KEY = LOCAL_DIR / "secret_key"
# make run's embedded Redis (tools/devstack.py), while it runs: what the command publishes
# (e.g. an agent's status) then reaches the running stack.
LOCAL_REDIS_SOCKET = LOCAL_DIR / "redis.sock"


def use_local_stack() -> None:
    if not os.environ.get("SECRET_KEY") and LOCAL_SECRET_KEY.is_file():
        key = LOCAL_SECRET_KEY.read_text().strip()
        if key:
            os.environ["SECRET_KEY"] = key
    if not os.environ.get("REDIS_URL") and LOCAL_REDIS_SOCKET.is_socket():
        os.environ["REDIS_URL"] = f"unix://{quote(str(LOCAL_REDIS_SOCKET))}?db=0"


if __name__ == "__main__":
    use_local_stack()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
