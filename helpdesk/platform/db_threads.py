"""Where consumers run their database work.

Channels' `database_sync_to_async` runs every call of a process on one thread. On PostgreSQL
that thread then waits for each commit's WAL flush in turn (3.7 ms on the benchmark machine),
so one process committed at most ~270 messages a second however idle its CPU was. On
PostgreSQL calls therefore run in a pool of threads, each with its own connection, so that
flushes overlap (PostgreSQL group commit). SQLite takes one writer at a time whatever we do
and its lock waits sleep, so there one thread keeps doing all of it.

Order stays right: a chat's messages take their `seq` under the chat's row lock, and each call
keeps the place of what it publishes from that moment (helpdesk/platform/events.py), so frames leave a
process in `seq` order whichever thread's commit finishes first.
"""

import functools
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.conf import settings

from helpdesk.platform.events import ordered_publishing

_THREADS = settings.DATABASE_THREADS
_pool = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="db") if _THREADS > 1 else None


def database_sync_to_async(func):
    """Channels' `database_sync_to_async`, on the pool when there is one."""

    @functools.wraps(func)
    def call(*args, **kwargs):
        with ordered_publishing():
            return func(*args, **kwargs)

    if _pool is None:
        return DatabaseSyncToAsync(call)
    return DatabaseSyncToAsync(call, thread_sensitive=False, executor=_pool)
