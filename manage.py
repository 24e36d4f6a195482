#!/usr/bin/env python
import os
import sys
from pathlib import Path

# `make run` and `make test` (tools/devstack.py) keep a generated key here. In such a checkout
# manage.py uses it when SECRET_KEY is unset, so `manage.py create_agent ...` works as written
# (and on the same database: settings' default, .local/db.sqlite3, is what `make run` uses too).
# Only here, the developer's entry point: settings, Daphne and Celery never read the file, and
# the image has no .local/ (.dockerignore), so in production a missing key stays an error.
LOCAL_SECRET_KEY = Path(__file__).resolve().parent / ".local" / "secret_key"


def use_local_secret_key() -> None:
    if os.environ.get("SECRET_KEY") or not LOCAL_SECRET_KEY.is_file():
        return
    key = LOCAL_SECRET_KEY.read_text().strip()
    if key:
        os.environ["SECRET_KEY"] = key


if __name__ == "__main__":
    use_local_secret_key()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
