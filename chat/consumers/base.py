"""What the visitor and agent sockets share (protocol: docs/protocol.md): JSON frames with a
`type` dispatched to handlers, errors as `error` frames on an open socket, rate limits and
socket caps, replay by `after_seq`.

Handlers parse a frame, call one service through `database_sync_to_async` and let the
service's after-commit publish deliver the result; group-event handlers only turn an event
into a frame.
"""

import asyncio
import json
import logging
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chat import frames, selectors, services
from chat.consumers import sockets as ws_sockets
from chat.consumers import throttle as ws_throttle
from helpdesk.platform import metrics
from helpdesk.platform.errors import SERVICE_UNAVAILABLE, UNAVAILABLE_DETAIL, DomainError, ErrorCode
from helpdesk.platform.events import COMMITTED_AT, publish_failures_reported_to

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY_SOCKETS = 4429
# Frames counted against the message limits (WS_RATE_*) on top of the limits every frame counts
# against (WS_FRAME_RATE_*).
MESSAGE_FRAMES = frozenset({"message.send", "typing"})
# The longest `chat_id` / `client_id` an error frame repeats (a valid client_id has at most 64).
ECHO_MAX_CHARS = services.CLIENT_ID_MAX_CHARS
UNDELIVERED_DETAIL = gettext_noop(
    "The server could not deliver what this frame did; it may have been stored. "
    "Send it again shortly (a message.send with the same client_id is stored once)."
)


def frame_ids(content: dict) -> dict:
    """What identifies a client frame (`chat_id`, `client_id`), echoed in an error about it so a
    client can tell which action failed. Only short values are echoed: an error must not send a
    client's megabyte back to it."""
    return {
        key: content[key]
        for key in ("chat_id", "client_id")
        if isinstance(content.get(key), (int, str))
        and not isinstance(content.get(key), bool)
        and len(str(content[key])) <= ECHO_MAX_CHARS
    }


def parse_frame(text_data: str | None) -> tuple[dict | None, tuple[str, str] | None]:
    """A client frame as (content, None), or (None, (code, detail)) for the error it gets."""
    if text_data is None:
        return None, (ErrorCode.INVALID_JSON, _("Frames must be JSON text."))
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):
        return None, (ErrorCode.INVALID_JSON, _("The frame is not valid JSON."))
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        return None, (ErrorCode.INVALID, _("A frame is a JSON object with a string 'type'."))
    return content, None


def message_replay(chat_id: int, after_seq: int) -> list[dict]:
    return [frames.message_frame(m) for m in selectors.messages_after(chat_id=chat_id, after_seq=after_seq)]


class FrameConsumer(AsyncJsonWebsocketConsumer):
    """JSON frames with a `type`, dispatched to `on_<type>` handlers named in `client_frames`.

    A bad frame gets an `error` frame and the socket stays open.
    """

    client_frames: dict[str, str] = {}
    rate_limits: list = []
    frame_limits: list = []
    closing = False  # refused or revoked: frames still in flight are dropped unanswered
    socket_kind = ""  # "visitor" or "agent": the label of its metrics
    counted_open = False  # in the open-websockets gauge

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reports: set[asyncio.Task] = set()

    async def dispatch(self, message):
        # Channels >= 4.2 runs close_old_connections() through the single sync thread before
        # every handler; that hop dominated relay latency. Our database work happens only in
        # database_sync_to_async calls, which close stale connections themselves.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def query_param(self, name: str) -> str | None:
        values = parse_qs(self.scope.get("query_string", b"").decode()).get(name)
        return values[0] if values else None

    async def refuse(self, code: int) -> None:
        # Accept first: a close before accept is an HTTP 403 and the client never sees the code.
        self.closing = True
        await self.accept()
        await self.close(code=code)

    async def accept(self, *args, **kwargs):
        await super().accept(*args, **kwargs)
        if not self.closing and not self.counted_open:  # a refused socket is accepted only to close it
            self.counted_open = True
            metrics.websocket_opened(self.socket_kind)

    async def send_json(self, content, close=False):
        if self.closing:
            return  # refused or revoked: nothing more reaches this client
        await super().send_json(content, close)

    async def send_message_frame(self, frame: dict, event: dict) -> None:
        """Send a `message` frame from a group event, measuring the time since its commit."""
        await self.send_json(frame)
        if not self.closing:
            metrics.message_frame_sent(event.get(COMMITTED_AT), socket_kind=self.socket_kind)

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return
        content, problem = parse_frame(text_data)
        # Every frame counts, a malformed or unknown one too: each costs the server work.
        if await self.over_rate(content):
            return
        if problem is not None:
            await self.send_error(*problem)
            return
        handler_name = self.client_frames.get(content["type"])
        if handler_name is None:
            # The type is not echoed: it is whatever the client sent, up to a megabyte.
            expected = ", ".join(self.client_frames)
            detail = _("Unknown frame type; expected one of %(types)s.") % {"types": expected}
            await self.send_error(ErrorCode.UNKNOWN_TYPE, detail)
            return
        extra = frame_ids(content)
        try:
            with publish_failures_reported_to(self.undelivered_reporter(content["type"], extra)):
                await getattr(self, handler_name)(content)
        except DomainError as error:
            await self.send_error(error.code, error.detail, for_type=content["type"], **extra)
        except SERVICE_UNAVAILABLE as error:
            # The database (or Redis) is down: the client may send the frame again later.
            logger.warning("frame %s failed, a backing service is unavailable: %r", content["type"], error)
            await self.send_error(ErrorCode.UNAVAILABLE, _(UNAVAILABLE_DETAIL), for_type=content["type"], **extra)
        except Exception:
            # A bug must not cost the client its socket (and its other chats).
            logger.exception("frame %s failed", content["type"])
            await self.send_error(
                ErrorCode.INTERNAL, _("Something went wrong on our side."), for_type=content["type"], **extra
            )

    async def send_error(self, code: str, detail: str, **extra) -> None:
        await self.send_json(frames.error_frame(code, detail, **extra))

    def undelivered_reporter(self, frame_type: str, ids: dict):
        """What to call, from any thread, when an event a frame's service published after commit
        cannot be sent (Redis is down): the sender, who waits for that event (its `message`,
        `chat.accepted`, ...), gets one `unavailable` error for the frame instead of silence."""
        loop = asyncio.get_running_loop()
        reported = False
        detail = _(UNDELIVERED_DETAIL)  # now, in the frame's language; the report may run in another thread

        def tell_sender() -> None:
            nonlocal reported
            if not reported:
                reported = True
                report = self.send_error(ErrorCode.UNAVAILABLE, detail, for_type=frame_type, **ids)
                task = loop.create_task(report)
                self.reports.add(task)  # the loop keeps only a weak reference to a task
                task.add_done_callback(self.reports.discard)

        return lambda: loop.call_soon_threadsafe(tell_sender)

    async def over_rate(self, content: dict | None) -> bool:
        """Count a frame against this sender's limits (chat/consumers/throttle.py): every frame against
        `frame_limits`, `message.send` and `typing` against `rate_limits` too. Over one, tell
        the client when to retry and return True: the frame is dropped."""
        frame_type = content["type"] if content is not None else None
        limits = self.frame_limits + (self.rate_limits if frame_type in MESSAGE_FRAMES else [])
        wait = await ws_throttle.retry_after(limits)
        if wait is None:
            return False
        detail = _("Too many frames; try again in %(wait)s seconds.") % {"wait": wait}
        about = {"for_type": frame_type, **frame_ids(content)} if frame_type in self.client_frames else {}
        await self.send_error(ErrorCode.THROTTLED, detail, retry_after=wait, **about)
        return True

    async def admitted(self, identities: list[tuple[str, object]]) -> bool:
        """Count this socket against the caps (chat/consumers/sockets.py); over one, refuse it (4429)."""
        if not await ws_sockets.socket_admit(self.channel_name, identities):
            await self.refuse(CLOSE_TOO_MANY_SOCKETS)
            return False
        self.counted = True
        return True

    async def websocket_disconnect(self, message):
        if self.counted_open:
            self.counted_open = False
            metrics.websocket_closed(self.socket_kind)
        if getattr(self, "counted", False):
            self.counted = False
            await ws_sockets.socket_release(self.channel_name)
        await super().websocket_disconnect(message)

    @staticmethod
    def id_field(content: dict, name: str) -> int:
        try:
            return services.clean_id(content.get(name))
        except DomainError as error:
            raise DomainError(
                ErrorCode.INVALID, _("'%(name)s' must be a positive integer.") % {"name": name}
            ) from error

    # Group events ------------------------------------------------------------------------

    def is_listening_to(self, chat_id: int) -> bool:
        """Whether this socket shows `chat_id` (each consumer knows its own chats)."""
        return False

    async def chat_typing(self, event):
        if event.get("origin") != self.channel_name and self.is_listening_to(event["frame"]["chat_id"]):
            await self.send_json(event["frame"])
