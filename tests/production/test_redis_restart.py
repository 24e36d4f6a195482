"""Redis (channel layer, cache, Celery broker) killed and started again, empty, under the
production shape: the visitor on one Daphne, the agent on the other, so every live frame crosses
Redis, and a scheduled end held by the worker. Nothing is lost or doubled, the worker process
stays up, and the end due after Redis returns runs on time, once."""

import asyncio
import time

import pytest

from chat.models import Chat
from tests.support.chat_clients import as_rows, chat_state, exchange, stored_conversation, typing_gets_through
from tests.support.processes import received, runs_since, wait_until_async
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

# The end is scheduled this far ahead; Redis is away for OUTAGE_SECONDS of it, so the end falls due
# a few seconds after Redis is back (the worker needs up to ~2 s to reconnect: Celery's backoff).
END_DELAY_SECONDS = 8
OUTAGE_SECONDS = 2


async def test_redis_restarted_worker_stays_up_chat_resumes_and_the_end_runs_once(prod_stack, chat, api_token):
    visitor = prod_stack.visitor(chat, daphne=0)
    alice = prod_stack.agent(chat, api_token, daphne=1)
    await visitor.connect()
    await alice.connect()
    await exchange(visitor, "Hello", "v-1", visitor, alice)
    await exchange(alice, "Hi Vera", "a-1", visitor, alice)
    reply = await asyncio.to_thread(
        prod_stack.http, "POST", f"/api/v1/chats/{chat.pk}/end/", daphne=1,
        json_body={"delay_seconds": END_DELAY_SECONDS}, token=api_token,
    )  # fmt: skip
    assert (reply.status, reply.json()["status"]) == (200, "ending"), reply.text
    due = time.monotonic() + END_DELAY_SECONDS
    await wait_until_async(lambda: received(prod_stack.worker, "chat_end_when_due"), 10, "the worker holding the end")

    await asyncio.to_thread(prod_stack.kill, "redis")
    # Written while Redis is away: stored, and the sender is told it was not delivered.
    await visitor.send("Still there?", "v-down")
    await visitor.wait_for(lambda: visitor.told_unavailable("v-down"), what="the unavailable error for v-down")
    await asyncio.sleep(OUTAGE_SECONDS)
    await asyncio.to_thread(prod_stack.start, "redis")
    back = time.monotonic()

    # Each side resyncs by after_seq; the message written during the outage reaches both once.
    await visitor.reconnect()
    await alice.reconnect()
    await visitor.wait_for_seq(3)
    await alice.wait_for_seq(3)
    # Each Daphne's channel layer subscribes again by itself: live frames cross between them.
    await typing_gets_through(alice, visitor, timeout=20)
    await typing_gets_through(visitor, alice, timeout=20)
    print(f"\nlive frames cross between the Daphnes {time.monotonic() - back:.1f}s after Redis is back")
    await exchange(alice, "Yes, here", "a-2", visitor, alice)

    await wait_until_async(lambda: chat_state(chat.pk)[0] == Chat.Status.ENDED, END_DELAY_SECONDS + 5, "the end")
    late = time.monotonic() - due
    # A few sweeps later, still one ticket, and the worker never died.
    done_at = len(prod_stack.worker.lines)
    await wait_until_async(
        lambda: runs_since(prod_stack.worker, "chat_sweep_overdue", done_at) >= 3, 10, "three sweeps"
    )
    assert await asyncio.to_thread(chat_state, chat.pk) == (Chat.Status.ENDED, [Ticket.Kind.CHAT_TRANSCRIPT])
    assert prod_stack.worker.process.poll() is None, "".join(prod_stack.worker.lines[-30:])
    assert not any("Unrecoverable error" in line for line in prod_stack.worker.lines)
    assert late < 2.5, f"the end ran {late:.1f}s after it was due"

    stored = await stored_conversation(chat.pk)
    assert [row[3] for row in stored] == ["v-1", "a-1", "v-down", "a-2"]
    assert as_rows(visitor.conversation) == stored == as_rows(alice.conversation)
    # Alice resynced over REST by after_seq: each message reached her once. (The visitor may see
    # v-down twice: her client re-sends what was never confirmed and gets it back once more.)
    assert alice.delivered == [1, 2, 3, 4]
    assert [f["type"] for f in visitor.other_frames].count("chat.ended") == 1
    await visitor.disconnect()
    await alice.disconnect()
