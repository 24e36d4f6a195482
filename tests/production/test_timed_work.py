"""Beat killed and restarted, the worker killed (SIGKILL) while it holds the countdowns of a
scheduled end and a missed-chat deadline and restarted after both are due: each runs once, not
twice: one ticket per chat, one `chat.ended` / `chat.missed` frame to the visitor."""

import asyncio
import time
from types import SimpleNamespace

import pytest

from chat.models import Chat
from tests.factories import accepted_chat
from tests.support.chat_clients import chat_state
from tests.support.processes import received, runs_since, wait_until_async
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE_SECONDS = 4
SWEEP_SECONDS = 1


@pytest.fixture
def ending(agent):
    return accepted_chat(agent=agent)


async def test_beat_and_worker_killed_timed_work_runs_once(prod_stack_factory, ending, sales, api_token):
    stack = await asyncio.to_thread(prod_stack_factory, CHAT_MISSED_AFTER_SECONDS=DEADLINE_SECONDS)
    reply = await asyncio.to_thread(
        stack.http, "POST", f"/api/v1/chats/{ending.pk}/end/", daphne=1,
        json_body={"delay_seconds": DEADLINE_SECONDS}, token=api_token,
    )  # fmt: skip
    assert (reply.status, reply.json()["status"]) == (200, "ending"), reply.text
    start = {"name": "Nora", "email": "nora@example.org", "question": "Anyone?", "department": "sales"}
    reply = await asyncio.to_thread(stack.http, "POST", "/api/v1/visitor/chats/", json_body=start)
    assert reply.status == 201, reply.text
    waiting = SimpleNamespace(pk=reply.json()["chat_id"], token=reply.json()["visitor_token"])
    # Both visitors listen on Daphne 1 for the frame that ends their chat.
    visitors = [stack.visitor(ending), stack.visitor(waiting)]
    for visitor in visitors:
        await visitor.connect()

    await wait_until_async(
        lambda: received(stack.worker, "chat_end_when_due") and received(stack.worker, "chat_miss_when_due"),
        timeout=10,
        what="the worker holding both countdowns",
    )
    await asyncio.to_thread(stack.kill, "beat")
    await asyncio.to_thread(stack.kill, "worker")
    await asyncio.to_thread(stack.start, "beat")
    # Past both deadlines with no worker: nothing happens.
    await asyncio.sleep(DEADLINE_SECONDS + 0.5)
    assert await asyncio.to_thread(chat_state, ending.pk) == (Chat.Status.ENDING, [])
    assert await asyncio.to_thread(chat_state, waiting.pk) == (Chat.Status.WAITING, [])

    await asyncio.to_thread(stack.start, "worker")
    ready = time.monotonic()

    def both_done():
        return chat_state(ending.pk)[0] == Chat.Status.ENDED and chat_state(waiting.pk)[0] == Chat.Status.MISSED

    await wait_until_async(both_done, timeout=SWEEP_SECONDS + 5, what="the end and the missed chat")
    took = time.monotonic() - ready
    # Then a few more sweeps, and the countdown tasks beat or the worker may still run: once.
    done_at = len(stack.worker.lines)
    await wait_until_async(
        lambda: runs_since(stack.worker, "chat_sweep_overdue", done_at) >= 3, 3 * SWEEP_SECONDS + 5, "three sweeps"
    )
    assert await asyncio.to_thread(chat_state, ending.pk) == (Chat.Status.ENDED, [Ticket.Kind.CHAT_TRANSCRIPT])
    assert await asyncio.to_thread(chat_state, waiting.pk) == (Chat.Status.MISSED, [Ticket.Kind.MISSED_CHAT])
    ended_frames = [f["type"] for f in visitors[0].other_frames if f["type"] in ("chat.ended", "chat.missed")]
    missed_frames = [f["type"] for f in visitors[1].other_frames if f["type"] in ("chat.ended", "chat.missed")]
    assert (ended_frames, missed_frames) == (["chat.ended"], ["chat.missed"])
    print(f"\ndone {took:.1f}s after the worker was ready")
    for visitor in visitors:
        await visitor.disconnect()
