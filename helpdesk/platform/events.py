"""Publishing to the channel layer, always after the surrounding transaction commits.

Two kinds of groups: `chat.<id>` (the visitor's socket and the sockets of agents taking part)
and `agent.<id>` (all sockets of one agent: offers, settings, joins); besides, `monitor` holds
the agent sockets of managers who asked for the live monitor (chat.monitor_chats), and a manager
watching a chat read-only joins its `chat.<id>` without taking part. Group events carry the
frame a client receives; the consumers' handlers only forward it. An agent socket also joins
the group of the credential it was opened with (`session.<hash>`, `apitoken.<hash>`), so that
taking that credential away can close it.
"""

import asyncio
import hashlib
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def chat_group(chat_id: int) -> str:
    return f"chat.{chat_id}"


MONITOR_GROUP = "monitor"


def session_group(session_key: str) -> str:
    """The agent sockets one signed-in session opened. Hashed: group names travel through Redis."""
    return f"session.{hashlib.sha256(session_key.encode()).hexdigest()}"


def token_group(token_hash: str) -> str:
    """The agent sockets opened with one API token (`ApiToken.key_hash`)."""
    return f"apitoken.{token_hash}"


def publish_to_chat(chat_id: int, frame: dict, *, event: str = "chat.frame", **extra) -> None:
    """After commit, `frame` reaches everyone in the chat. `event` names the consumer handler:
    "chat.frame" forwards, "chat.closed" forwards and leaves the chat. `extra` goes along in
    the event (e.g. a message's `visitor_seq`, None for an internal note the visitor never gets)."""
    publish_on_commit(chat_group(chat_id), {"type": event, "chat_id": chat_id, "frame": frame, **extra})


def publish_to_agent(agent_id: int, frame: dict, *, event: str = "agent.frame", **extra) -> None:
    """After commit, `frame` reaches every socket of one agent. "chat.joined" also subscribes
    those sockets to the chat named by `chat_id`."""
    publish_on_commit(agent_group(agent_id), {"type": event, "frame": frame, **extra})


def publish_to_monitors(frame: dict) -> None:
    """After commit, `frame` reaches every socket subscribed to the live monitor."""
    publish_on_commit(MONITOR_GROUP, {"type": "monitor.frame", "frame": frame})


# Called (from any thread) when an event published in this context cannot be sent; set by
# `publish_failures_reported_to`. Context variables reach the database threads that
# sync_to_async runs a call on, so a socket's frame handler sees failures of what it caused.
_on_failure: ContextVar[Callable[[], None] | None] = ContextVar("publish_on_failure", default=None)


@contextmanager
def publish_failures_reported_to(callback: Callable[[], None]):
    """Around a websocket frame's handling: `callback()` is called, from whichever thread sends,
    for each event published meanwhile whose send to the channel layer failed (Redis is down),
    so that the sender who waits for it can be told."""
    token = _on_failure.set(callback)
    try:
        yield
    finally:
        _on_failure.reset(token)


def _report_failure(on_failure: Callable[[], None] | None) -> None:
    if on_failure is not None:
        try:
            on_failure()
        except Exception:
            logger.exception("reporting a failed publish failed")


# The moment (time.time()) the transaction that published an event committed, stamped on the
# event, never on the frame a client gets: the consumers measure commit-to-socket latency with it
# (helpdesk.platform.metrics.message_frame_sent).
COMMITTED_AT = "committed_at"


def _stamped(event: dict) -> dict:
    event[COMMITTED_AT] = time.time()
    return event


def publish_on_commit(group: str, event: dict) -> None:
    """Send `event` to `group` once the current transaction commits (at once outside one)."""
    outbox = _thread_outbox()
    if outbox is None:
        transaction.on_commit(lambda: _publish(group, _stamped(event)))
        return
    # Inside a server's database call: take the event's place in the outbox now, while this
    # transaction still holds its row locks, and fill it at commit. Posts to one chat serialise
    # on the chat's row, so their frames leave in `seq` order even when the commits of several
    # database threads (helpdesk/platform/db_threads.py) finish in another order.
    slot = outbox.reserve(group, event, _on_failure.get())

    def committed() -> None:
        _stamped(event)
        outbox.settle(slot, send=True)

    transaction.on_commit(committed)


def _publish(group: str, event: dict) -> None:
    # Runs at commit, in the context of the code that published: the same failure callback.
    on_failure = _on_failure.get()
    loop = _calling_event_loop()
    if loop is not None:
        # Called from a database thread of an ASGI server (a view's sync_to_async call): hand
        # the event to that loop and return at once. Waiting for the send (async_to_sync) kept
        # the database thread idle for a whole event-loop round trip per message.
        try:
            outbox = _Outbox.of(loop)
            outbox.settle(outbox.reserve(group, event, on_failure), send=True)
            return
        except RuntimeError:  # the loop has closed meanwhile
            pass
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:
        # The database is the source of truth: a client that missed an event catches up
        # through `after_seq` or a REST read, so a failed publish must not fail the request.
        logger.exception("publish to %s failed", group)
        _report_failure(on_failure)


def _calling_event_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop that called into this thread through sync_to_async, if any.

    asgiref records it per thread for AsyncToSync; we read the same record.
    """
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


class _Slot:
    __slots__ = ("group", "event", "state", "on_failure")

    def __init__(self, group: str, event: dict, on_failure: Callable[[], None] | None = None):
        self.group, self.event, self.state, self.on_failure = group, event, "reserved", on_failure


class _Outbox:
    """One per event loop: events leave in the order their places were reserved, one sending
    task per loop. A place is settled by the commit (send) or by the end of the database call
    whose transaction rolled back (drop); the sender waits for the oldest place to settle."""

    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox]" = weakref.WeakKeyDictionary()
    _lock = threading.Lock()

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> "_Outbox":
        with cls._lock:
            outbox = cls._by_loop.get(loop)
            if outbox is None:
                outbox = cls._by_loop[loop] = cls(loop)
            return outbox

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.slots: deque[_Slot] = deque()
        self.wakeup: asyncio.Event | None = None
        self.task: asyncio.Task | None = None

    def reserve(self, group: str, event: dict, on_failure: Callable[[], None] | None = None) -> _Slot:
        slot = _Slot(group, event, on_failure)
        # call_soon_threadsafe keeps the callers' order: a thread that reserves while holding a
        # row lock comes before the thread that waited for that lock.
        self.loop.call_soon_threadsafe(self._append, slot)
        return slot

    def settle(self, slot: _Slot, *, send: bool) -> None:
        if slot.state == "reserved":
            slot.state = "ready" if send else "dropped"
            self.loop.call_soon_threadsafe(self._wake)

    def _append(self, slot: _Slot) -> None:
        self.slots.append(slot)
        if self.task is None or self.task.done():
            self.wakeup = asyncio.Event()
            self.task = self.loop.create_task(self._send_all())
        self._wake()

    def _wake(self) -> None:
        if self.wakeup is not None:
            self.wakeup.set()

    async def _send_all(self) -> None:
        layer = get_channel_layer()
        while True:
            while self.slots and self.slots[0].state != "reserved":
                slot = self.slots.popleft()
                if slot.state == "dropped":
                    continue
                try:
                    await layer.group_send(slot.group, slot.event)
                except Exception:
                    logger.exception("publish to %s failed", slot.group)
                    _report_failure(slot.on_failure)
            self.wakeup.clear()
            if self.slots and self.slots[0].state != "reserved":
                continue
            await self.wakeup.wait()


class _ThreadOutbox:
    """The outbox of the event loop that called this thread's current database call, and the
    places that call reserved (dropped at its end if its transaction never committed)."""

    def __init__(self, outbox: _Outbox):
        self.outbox = outbox
        self.reserved: list[_Slot] = []

    def reserve(self, group: str, event: dict, on_failure: Callable[[], None] | None = None) -> _Slot:
        slot = self.outbox.reserve(group, event, on_failure)
        self.reserved.append(slot)
        return slot

    def settle(self, slot: _Slot, *, send: bool) -> None:
        self.outbox.settle(slot, send=send)


_current = threading.local()


def _thread_outbox() -> _ThreadOutbox | None:
    return getattr(_current, "outbox", None)


@contextmanager
def ordered_publishing():
    """Around one database call a server's event loop makes (helpdesk/platform/db_threads.py): events
    published in it keep their place in the loop's outbox from the moment they are published."""
    loop = _calling_event_loop()
    if loop is None:
        yield
        return
    thread_outbox = _current.outbox = _ThreadOutbox(_Outbox.of(loop))
    try:
        yield
    finally:
        del _current.outbox
        for slot in thread_outbox.reserved:
            thread_outbox.settle(slot, send=False)  # no-op for the ones the commit sent
