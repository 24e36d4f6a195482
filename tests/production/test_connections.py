"""The connection budget (README "Connection budget"): under HTTP and websocket load across both
Daphnes, no process holds more PostgreSQL connections than its pool allows, at any moment.

With persistent connections (the old DATABASE_CONN_MAX_AGE=60) under Daphne every request's
thread kept its own connection open: the count rose with every request until PostgreSQL's
max_connections refused everyone. The load stops at the first sample over the bound, so that a
regression fails fast instead of filling the server other tests share."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factories import accepted_chat

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 500
CLIENTS = 24  # requests in flight at once, over both Daphnes: more than one pool holds
MESSAGES = 200  # websocket messages: one chat on each Daphne, visitor and agent taking turns
CHATS = 2


@pytest.fixture
def chats(agent):
    return [accepted_chat(agent=agent) for _ in range(CHATS)]


def budget(stack) -> dict[str, int]:
    """The most connections each process may hold: its pool for a Daphne; one per child for the
    worker (a child runs one task at a time, and Celery closes its pool after each task); none
    for beat, which only sends tasks."""
    pool = stack.settings["DATABASE_POOL_MAX_SIZE"]
    return {
        "helpdesk-daphne-1": pool,
        "helpdesk-daphne-2": pool,
        "helpdesk-worker": stack.worker_concurrency,
        "helpdesk-beat": 0,
    }


def http_load(stack, api_token: str, chat_ids: list[int], over: threading.Event) -> list[tuple[int, str, int]]:
    """REQUESTS requests, anonymous and signed in, pages and API, spread over both Daphnes;
    (index, path, status) of each one that did not answer 200."""
    paths = [
        ("/api/v1/departments/", None),
        ("/api/v1/agents/me/", api_token),
        *[(f"/api/v1/chats/{chat_id}/messages/", api_token) for chat_id in chat_ids],
        ("/accounts/login/", None),
    ]

    def one(index: int):
        if over.is_set():
            return None
        path, token = paths[index % len(paths)]
        reply = stack.http("GET", path, token=token, daphne=index % 2)
        return None if reply.status == 200 else (index, path, reply.status)

    with ThreadPoolExecutor(CLIENTS) as executor:
        return [failure for failure in executor.map(one, range(REQUESTS)) if failure]


async def chat_load(stack, chats, api_token: str) -> None:
    per_chat = MESSAGES // len(chats)
    sides = []
    for n, chat in enumerate(chats):
        # Both sides of a chat on one Daphne: frames published by two processes may interleave
        # out of seq order (docs/protocol.md), and this client only resyncs by reconnecting.
        visitor, agent = stack.visitor(chat, daphne=n % 2), stack.agent(chat, api_token, daphne=n % 2)
        await visitor.connect()
        await agent.connect()
        sides.append((visitor, agent))
    for n in range(per_chat // 2):
        for visitor, agent in sides:
            await visitor.send(f"Question {n}", f"v-{n}")
            await agent.send(f"Answer {n}", f"a-{n}")
    for visitor, agent in sides:
        await visitor.wait_for_seq(per_chat, timeout=60)
        await agent.wait_for_seq(per_chat, timeout=60)
        assert [m["seq"] for m in visitor.conversation] == list(range(1, per_chat + 1))
        await visitor.disconnect()
        await agent.disconnect()


async def test_connections_stay_within_budget_under_http_and_socket_load(postgresql_only, prod_stack, chats, api_token):
    limits = budget(prod_stack)
    most = dict.fromkeys(limits, 0)
    over = threading.Event()
    done = threading.Event()

    def sample():
        while not done.is_set():
            for name, count in prod_stack.connections().items():
                most[name] = max(most[name], count)
                if count > limits[name]:
                    over.set()  # stop the load: the bound is broken already
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        failures, _ = await asyncio.gather(
            asyncio.to_thread(http_load, prod_stack, api_token, [chat.pk for chat in chats], over),
            chat_load(prod_stack, chats, api_token),
        )
    finally:
        done.set()
        sampler.join()
    took = time.monotonic() - started
    after = prod_stack.connections()
    print(f"\n{REQUESTS} requests + {MESSAGES} messages in {took:.1f}s; most connections {most}; after {after}")

    assert all(most[name] <= limits[name] for name in limits), (most, limits)
    assert all(after[name] <= limits[name] for name in limits), (after, limits)
    assert not failures, failures[:10]
