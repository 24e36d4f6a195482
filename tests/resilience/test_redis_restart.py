"""Redis (channel layer, cache and Celery broker) killed and started again in the middle of a
conversation, under a real Daphne with real websocket clients."""

import asyncio
import json
from collections import Counter

import pytest

from helpdesk.platform.errors import unavailable_body
from tests.support.chat_clients import (
    AgentSide,
    VisitorSide,
    as_rows,
    close_code_of,
    fetch,
    stored_conversation,
    typing_gets_through,
    wait_stored,
)
from tests.support.processes import daphne_process

pytestmark = pytest.mark.django_db(transaction=True)


async def test_redis_restarted_mid_conversation_loses_and_doubles_nothing(private_redis, managed, chat, api_token):
    server = daphne_process(REDIS_URL=private_redis.url)
    managed(server)
    await asyncio.to_thread(server.start)
    visitor = VisitorSide(server, chat.pk, chat.token)
    alice = AgentSide(server, chat.pk, api_token)
    await visitor.connect()
    await alice.connect()
    for seq, (side, body, client_id) in enumerate(
        [(visitor, "Hello", "v-1"), (alice, "Hi, how can I help?", "a-1"), (visitor, "Which plans?", "v-2")], 1
    ):
        await side.send(body, client_id)
        await visitor.wait_for_seq(seq)
        await alice.wait_for_seq(seq)

    await asyncio.to_thread(private_redis.kill)
    # Written while Redis is away: stored (the database is the truth), heard by nobody.
    await visitor.send("Still there?", "v-down")
    await alice.send("Checking the plans", "a-down")
    await wait_stored(chat.pk, 5)
    # Each sender is told its message was not delivered: both publishes have failed, so neither
    # message can still come to the other side.
    await visitor.wait_for(lambda: visitor.told_unavailable("v-down"), what="the unavailable error for v-down")
    await alice.wait_for(lambda: alice.told_unavailable("a-down"), what="the unavailable error for a-down")
    assert (visitor.last_seq, alice.last_seq) == (3, 3)
    # What needs Redis fails clearly: a new socket is closed with 4503, the API answers 503.
    assert await close_code_of(visitor.url()) == 4503
    url = f"{server.url}/api/v1/chats/{chat.pk}/messages/"
    status, _, body = await asyncio.to_thread(fetch, "GET", url, None, api_token)
    assert (status, json.loads(body)) == (503, unavailable_body())
    # Sockets already open are kept.
    assert visitor.is_open and alice.is_open

    await asyncio.to_thread(private_redis.start)
    # The server's layer subscribes again by itself: live frames reach the same sockets.
    await typing_gets_through(alice, visitor)
    await typing_gets_through(visitor, alice)
    assert visitor.close_codes == alice.close_codes == []
    # The next live message shows both sides the gap the outage left; each resyncs its way.
    await alice.send("Yearly or monthly", "a-up")
    await visitor.wait_for(lambda: visitor.gap, what="the gap")
    await alice.wait_for(lambda: alice.gap, what="the gap")
    await visitor.reconnect()  # ?after_seq=3
    await alice.resync()  # GET …/messages/?after_seq=3
    await visitor.wait_for_seq(6)

    stored = await stored_conversation(chat.pk)
    assert Counter(row[3] for row in stored) == Counter(["v-1", "a-1", "v-2", "v-down", "a-down", "a-up"])
    assert [row[0] for row in stored] == [1, 2, 3, 4, 5, 6]
    assert as_rows(visitor.conversation) == stored
    assert as_rows(alice.conversation) == stored
    assert visitor.unconfirmed == alice.unconfirmed == {}
    await visitor.disconnect()
    await alice.disconnect()
