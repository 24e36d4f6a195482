"""Every connection of a Daphne's pool busy: a further request waits DATABASE_POOL_TIMEOUT and
answers 503 `unavailable`, not a hang and not a 500; once a connection is free it is served."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from chat.models import Chat
from helpdesk.platform.errors import UNAVAILABLE_DETAIL
from tests.factories import accepted_chat
from tests.support.chat_clients import fetch
from tests.support.processes import daphne_process, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

APP_NAME = "helpdesk-pool-of-one"


@pytest.fixture
def server(transactional_db):
    """A Daphne whose pool holds one connection."""
    server = daphne_process(DATABASE_POOL_MAX_SIZE=1, DATABASE_POOL_TIMEOUT=1, PGAPPNAME=APP_NAME).start()
    yield server
    server.stop()


def test_pool_exhausted_answers_503_after_the_timeout(postgresql_only, server, agent, api_token):
    chat = accepted_chat(agent=agent)
    locked, release = threading.Event(), threading.Event()

    def hold_chat_row():
        try:
            with transaction.atomic():
                Chat.objects.select_for_update().get(pk=chat.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as executor:
        executor.submit(hold_chat_row)
        assert locked.wait(10)
        # This message waits for the chat's row lock, holding the server's only connection.
        message = {"body": "Hi", "client_id": "a-1"}
        posted = executor.submit(fetch, "POST", f"{server.url}/api/v1/chats/{chat.pk}/messages/", message, api_token)
        wait_until(lambda: connection_count(APP_NAME) == 1)
        time.sleep(0.2)
        started = time.monotonic()
        status, content_type, body = fetch("GET", f"{server.url}/api/v1/departments/")
        took = time.monotonic() - started
        assert (status, content_type) == (503, "application/json"), body
        assert json.loads(body) == {"code": "unavailable", "detail": UNAVAILABLE_DETAIL}
        assert 0.9 <= took < 3, took
        release.set()
        assert posted.result(10)[0] == 201
    assert fetch("GET", f"{server.url}/api/v1/departments/")[0] == 200


def connection_count(application_name: str) -> int:
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            [connection.settings_dict["NAME"], application_name],
        )
        return cursor.fetchone()[0]
