"""Publishing from database threads: events leave in the order they were published under the
transaction's locks, not in the order the commits finished, and a rolled-back publish neither
leaves nor holds up the ones after it."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import DatabaseSyncToAsync
from channels.layers import get_channel_layer
from django.db import transaction

from helpdesk.platform.events import ordered_publishing, publish_on_commit

GROUP = "events-order-test"


def on_threads(pool):
    """A server's database call (helpdesk/platform/db_threads.py) on the given threads."""

    def wrap(func):
        def call():
            with ordered_publishing():
                return func()

        return DatabaseSyncToAsync(call, thread_sensitive=False, executor=pool)

    return wrap


async def received(layer, channel, count):
    return [(await asyncio.wait_for(layer.receive(channel), 5))["n"] for _ in range(count)]


@pytest.mark.django_db(transaction=True)
async def test_a_later_commit_does_not_overtake_an_earlier_publish():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    first_published, second_committed = threading.Event(), threading.Event()

    def rolled_back():
        with transaction.atomic():
            publish_on_commit(GROUP, {"type": "test.event", "n": 0})
            raise ValueError("rolled back")

    def slow_commit():
        with transaction.atomic():
            publish_on_commit(GROUP, {"type": "test.event", "n": 1})
            first_published.set()
            # Still in the transaction while the other one commits. On PostgreSQL it does at
            # once; SQLite's single writer makes it wait for this commit, hence the timeout.
            second_committed.wait(timeout=1)

    def fast_commit():
        assert first_published.wait(5)
        with transaction.atomic():
            publish_on_commit(GROUP, {"type": "test.event", "n": 2})
        second_committed.set()

    with ThreadPoolExecutor(max_workers=2) as pool:
        run = on_threads(pool)
        with pytest.raises(ValueError):
            await run(rolled_back)()
        await asyncio.gather(run(slow_commit)(), run(fast_commit)())
        assert await received(layer, channel, 2) == [1, 2]
        # Nothing else is waiting: the rolled-back event never left.
        await run(lambda: publish_on_commit(GROUP, {"type": "test.event", "n": 3}))()
        assert await received(layer, channel, 1) == [3]
    await layer.group_discard(GROUP, channel)
