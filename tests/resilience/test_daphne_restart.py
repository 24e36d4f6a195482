"""The Daphne process killed and started again on the same port: both sides reconnect and
resume the chat; what was written while one side was away reaches it exactly once."""

import asyncio
import json
import signal

import pytest

from tests.support.chat_clients import AgentSide, VisitorSide, as_rows, fetch, stored_conversation
from tests.support.processes import daphne_process

pytestmark = pytest.mark.django_db(transaction=True)


async def test_daphne_restarted_both_sides_resume_with_nothing_lost(managed, chat, api_token):
    server = daphne_process()
    managed(server)
    await asyncio.to_thread(server.start)
    visitor = VisitorSide(server, chat.pk, chat.token)
    alice = AgentSide(server, chat.pk, api_token)
    await visitor.connect()
    await alice.connect()
    await visitor.send("Hello", "v-1")
    await alice.wait_for_seq(1)
    await alice.send("Hi Vera", "a-1")
    await visitor.wait_for_seq(2)

    await asyncio.to_thread(server.stop, signal.SIGKILL)
    await visitor.wait_for(lambda: not visitor.is_open, what="socket dropped")
    await alice.wait_for(lambda: not alice.is_open, what="socket dropped")
    assert visitor.close_codes == alice.close_codes == [1006]  # dropped, no close frame
    await asyncio.to_thread(server.start)

    # Alice is back first; she writes over her socket and through REST while the visitor is away.
    await alice.connect()
    await alice.send("Are you still there?", "a-2")
    await alice.wait_for_seq(3)
    status, _, body = await asyncio.to_thread(
        fetch,
        "POST",
        f"{server.url}/api/v1/chats/{chat.pk}/messages/",
        {"body": "Sent by REST", "client_id": "a-3"},
        api_token,
    )
    assert status == 201, body
    await alice.wait_for_seq(4)
    # The visitor comes back with ?after_seq=2: the replay brings 3 and 4.
    await visitor.connect()
    await visitor.wait_for_seq(4)

    # Now Alice is away while the visitor writes; she comes back and fetches by after_seq.
    await alice.disconnect()
    await visitor.send("Yes, here", "v-2")
    await visitor.wait_for_seq(5)
    await alice.connect()
    await alice.wait_for_seq(5)

    # Live again both ways on the new sockets.
    await visitor.send("Thanks", "v-3")
    await alice.wait_for_seq(6)
    await visitor.wait_for_seq(6)

    stored = await stored_conversation(chat.pk)
    assert [row[3] for row in stored] == ["v-1", "a-1", "a-2", "a-3", "v-2", "v-3"]
    assert as_rows(visitor.conversation) == stored
    assert as_rows(alice.conversation) == stored
    # Exactly once on the wire too: no replay or fetch repeated what a side already had.
    assert visitor.delivered == [1, 2, 3, 4, 5, 6]
    assert alice.delivered == [1, 2, 3, 4, 5, 6]
    assert json.loads(body)["seq"] == 4
    await visitor.disconnect()
    await alice.disconnect()
