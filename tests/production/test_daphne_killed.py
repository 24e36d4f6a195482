"""One Daphne of two killed (SIGKILL) mid-chat and started again: the other keeps serving, the
clients the proxy sends to it resume by after_seq, and nothing is lost or doubled."""

import asyncio

import pytest

from tests.support.chat_clients import as_rows, exchange, stored_conversation

pytestmark = pytest.mark.django_db(transaction=True)


async def test_daphne_killed_mid_chat_the_other_serves_nothing_lost_or_doubled(prod_stack, chat, api_token):
    visitor = prod_stack.visitor(chat, daphne=0)
    alice = prod_stack.agent(chat, api_token, daphne=1)
    await visitor.connect()
    await alice.connect()
    await exchange(visitor, "Hello", "v-1", visitor, alice)
    await exchange(alice, "Hi Vera", "a-1", visitor, alice)

    await asyncio.to_thread(prod_stack.kill, "daphne-1")
    await visitor.wait_for(lambda: not visitor.is_open, what="socket dropped")
    assert visitor.close_codes == [1006]

    # Daphne 2 serves on: Alice's socket, REST, anonymous requests.
    await exchange(alice, "Still there?", "a-2", alice)
    reply = await asyncio.to_thread(
        prod_stack.http,
        "POST",
        f"/api/v1/chats/{chat.pk}/messages/",
        daphne=1,
        json_body={"body": "Sent by REST", "client_id": "a-3"},
        token=api_token,
    )
    assert (reply.status, reply.json()["seq"]) == (201, 4), reply.text
    await alice.wait_for_seq(4)
    reply = await asyncio.to_thread(prod_stack.http, "GET", "/api/v1/departments/", daphne=1)
    assert reply.status == 200, reply.text
    # The visitor's reconnection goes to Daphne 2: ?after_seq=2 replays 3 and 4.
    visitor.use(1)
    await visitor.connect()
    await visitor.wait_for_seq(4)
    await exchange(visitor, "Yes, here", "v-2", visitor, alice)

    await asyncio.to_thread(prod_stack.start, "daphne-1")
    # Alice's next connection lands on the restarted Daphne 1 and resyncs over its REST API.
    alice.use(0)
    await alice.reconnect()
    await exchange(visitor, "Thanks", "v-3", visitor, alice)
    await exchange(alice, "Bye", "a-4", visitor, alice)

    stored = await stored_conversation(chat.pk)
    assert [row[3] for row in stored] == ["v-1", "a-1", "a-2", "a-3", "v-2", "v-3", "a-4"]
    assert as_rows(visitor.conversation) == stored == as_rows(alice.conversation)
    # Exactly once on the wire: no replay or fetch repeated what a side already had.
    assert visitor.delivered == [1, 2, 3, 4, 5, 6, 7]
    assert alice.delivered == [1, 2, 3, 4, 5, 6, 7]
    await visitor.disconnect()
    await alice.disconnect()
