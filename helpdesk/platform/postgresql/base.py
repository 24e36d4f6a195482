"""Django's PostgreSQL backend, with a connection pool that gets over connections the server
ended at once.

psycopg's pool checks a connection as it hands it out (Django's CONN_HEALTH_CHECKS) and, when the
check fails, tries the next idle one only after a pause of 1 s, then 2, 4, 8 s. After a PostgreSQL
restart, a failover or pg_terminate_backend every idle connection is dead: a request waited out
the pool's timeout and answered 503 although new connections were to be had. Here the first
failed check replaces every idle connection (`drain`), so the request gets a new one at once.
"""

import functools

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


def check_or_drain(pool: ConnectionPool, conn) -> None:
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool.drain()
        raise


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django builds the pool with psycopg's own check, so it is swapped before first use.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = functools.partial(check_or_drain, pool)
        return pool
