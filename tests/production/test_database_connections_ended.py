"""Every database connection of the servers ended at once (pg_terminate_backend, as a PostgreSQL
restart or failover does): the very next requests and socket messages succeed, on both Daphnes.

psycopg's pool alone found its dead idle connections one at a time, pausing 1, 2, 4 s between
them, so with a few of them idle a request waited out DATABASE_POOL_TIMEOUT and answered 503
(helpdesk/platform/postgresql/base.py)."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def fill_pools(stack, api_token: str) -> None:
    """Requests enough at once that each Daphne's pool holds several idle connections."""

    def one(index: int) -> int:
        return stack.http("GET", "/api/v1/agents/me/", token=api_token, daphne=index % 2).status

    with ThreadPoolExecutor(16) as executor:
        assert set(executor.map(one, range(64))) == {200}


async def test_servers_connections_ended_next_requests_succeed(postgresql_only, prod_stack, chat, api_token):
    visitor = prod_stack.visitor(chat, daphne=0)
    alice = prod_stack.agent(chat, api_token, daphne=1)
    await visitor.connect()
    await alice.connect()
    await visitor.send("Hello", "v-1")
    await alice.wait_for_seq(1)
    await asyncio.to_thread(fill_pools, prod_stack, api_token)
    idle = await asyncio.to_thread(prod_stack.connections)
    assert idle["helpdesk-daphne-1"] >= 3 and idle["helpdesk-daphne-2"] >= 3, idle

    ended = await asyncio.to_thread(prod_stack.terminate_connections, ["daphne-1", "daphne-2"])
    assert ended >= 6

    started = time.monotonic()
    for daphne in (0, 1):
        for path, token in [("/api/v1/agents/me/", api_token), ("/api/v1/departments/", None)]:
            reply = await asyncio.to_thread(prod_stack.http, "GET", path, daphne=daphne, token=token)
            assert reply.status == 200, (daphne, path, reply.status, reply.text)
    # Open sockets: their next messages are stored and delivered, no `unavailable` error.
    await visitor.send("Still works?", "v-2")
    await alice.send("Yes", "a-1")
    await visitor.wait_for_seq(3)
    await alice.wait_for_seq(3)
    took = time.monotonic() - started
    assert not [f for f in visitor.other_frames + alice.other_frames if f["type"] == "error"]
    assert took < 2.0, took
    await visitor.disconnect()
    await alice.disconnect()
