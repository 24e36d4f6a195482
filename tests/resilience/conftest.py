"""Fixtures for fault tests: servers the test may kill and start again."""

from pathlib import Path

import pytest
from django.db import connection

from tests.factories import accepted_chat
from tests.support.processes import ManagedProcess, PrivateRedis, child_database_url


@pytest.fixture
def private_redis():
    redis = PrivateRedis().start()
    yield redis
    redis.stop()


@pytest.fixture
def managed():
    """Stops every process the test registers with it, whatever state the test left it in."""
    processes: list[ManagedProcess] = []
    yield processes.append
    for process in reversed(processes):
        process.stop()


class SwitchableDatabase:
    """The test database as seen by a server process, which the test can take away and give
    back. On SQLite the server opens the file through a symlinked directory that is renamed
    away; on PostgreSQL the database refuses connections and the server's are ended. Either
    way the server's next query fails to connect (OperationalError) until `restore()`.

    Start the server with `server_env`: on PostgreSQL it names the server's connections, so that
    only those are ended and not the ones the test process's own database threads keep."""

    APPLICATION_NAME = "helpdesk-switchable-server"

    def __init__(self, tmp_path):
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            database = Path(connection.settings_dict["NAME"]).resolve()
            self.link = tmp_path / "db"
            self.link.symlink_to(database.parent, target_is_directory=True)
            self.url = f"sqlite:///{self.link / database.name}"
        else:
            self.url = child_database_url()
        self.name = connection.settings_dict["NAME"]

    @property
    def server_env(self) -> dict:
        return {"DATABASE_URL": self.url, "PGAPPNAME": self.APPLICATION_NAME}

    def take_away(self) -> None:
        if self.vendor == "sqlite":
            self.link.rename(self.link.with_name("db-away"))
            return
        # From the maintenance database: a database cannot refuse connections to itself.
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                [self.name, self.APPLICATION_NAME],
            )

    def restore(self) -> None:
        if self.vendor == "sqlite":
            away = self.link.with_name("db-away")
            if away.exists():
                away.rename(self.link)
            return
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


@pytest.fixture
def switchable_database(transactional_db, tmp_path):
    database = SwitchableDatabase(tmp_path)
    yield database
    database.restore()


@pytest.fixture
def chat(agent):
    """An active chat of `agent` (Alice); `chat.token` is the visitor's token."""
    return accepted_chat(agent=agent)


@pytest.fixture
def api_token(agent) -> str:
    return agent.api_key
