"""Websocket edges for visitors and agents (protocol: docs/protocol.md).

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

from chat import frames, selectors, services, ws_sockets, ws_throttle
from chat.models import Chat, Message
from chat.origins import agent_origin_allowed, visitor_origin_allowed
from helpdesk.db_threads import database_sync_to_async
from helpdesk.errors import SERVICE_UNAVAILABLE, UNAVAILABLE_DETAIL, DomainError
from helpdesk.events import agent_group, chat_group, publish_failures_reported_to, session_group, token_group
from helpdesk.selectors import agent_socket_credentials_valid
from tickets.models import Ticket

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY_SOCKETS = 4429
# Frames counted against the message limits (WS_RATE_*) on top of the limits every frame counts
# against (WS_FRAME_RATE_*).
MESSAGE_FRAMES = frozenset({"message.send", "typing"})
# The longest `chat_id` / `client_id` an error frame repeats (a valid client_id has at most 64).
ECHO_MAX_CHARS = services.CLIENT_ID_MAX_CHARS
UNDELIVERED_DETAIL = (
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
        return None, ("invalid_json", "Frames must be JSON text.")
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):
        return None, ("invalid_json", "The frame is not valid JSON.")
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        return None, ("invalid", "A frame is a JSON object with a string 'type'.")
    return content, None


def _message_replay(chat_id: int, after_seq: int) -> list[dict]:
    return [frames.message_frame(m) for m in selectors.messages_after(chat_id=chat_id, after_seq=after_seq)]


class FrameConsumer(AsyncJsonWebsocketConsumer):
    """JSON frames with a `type`, dispatched to `on_<type>` handlers named in `client_frames`.

    A bad frame gets an `error` frame and the socket stays open.
    """

    client_frames: dict[str, str] = {}
    rate_limits: list = []
    frame_limits: list = []
    closing = False  # refused or revoked: frames still in flight are dropped unanswered

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

    async def send_json(self, content, close=False):
        if self.closing:
            return  # refused or revoked: nothing more reaches this client
        await super().send_json(content, close)

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
            await self.send_error("unknown_type", f"Unknown frame type; expected one of {expected}.")
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
            await self.send_error("unavailable", UNAVAILABLE_DETAIL, for_type=content["type"], **extra)
        except Exception:
            # A bug must not cost the client its socket (and its other chats).
            logger.exception("frame %s failed", content["type"])
            await self.send_error("internal", "Something went wrong on our side.", for_type=content["type"], **extra)

    async def send_error(self, code: str, detail: str, **extra) -> None:
        await self.send_json(frames.error_frame(code, detail, **extra))

    def undelivered_reporter(self, frame_type: str, ids: dict):
        """What to call, from any thread, when an event a frame's service published after commit
        cannot be sent (Redis is down): the sender, who waits for that event (its `message`,
        `chat.accepted`, ...), gets one `unavailable` error for the frame instead of silence."""
        loop = asyncio.get_running_loop()
        reported = False

        def tell_sender() -> None:
            nonlocal reported
            if not reported:
                reported = True
                report = self.send_error("unavailable", UNDELIVERED_DETAIL, for_type=frame_type, **ids)
                task = loop.create_task(report)
                self.reports.add(task)  # the loop keeps only a weak reference to a task
                task.add_done_callback(self.reports.discard)

        return lambda: loop.call_soon_threadsafe(tell_sender)

    async def over_rate(self, content: dict | None) -> bool:
        """Count a frame against this sender's limits (chat/ws_throttle.py): every frame against
        `frame_limits`, `message.send` and `typing` against `rate_limits` too. Over one, tell
        the client when to retry and return True: the frame is dropped."""
        frame_type = content["type"] if content is not None else None
        limits = self.frame_limits + (self.rate_limits if frame_type in MESSAGE_FRAMES else [])
        wait = await ws_throttle.retry_after(limits)
        if wait is None:
            return False
        detail = f"Too many frames; try again in {wait} seconds."
        about = {"for_type": frame_type, **frame_ids(content)} if frame_type in self.client_frames else {}
        await self.send_error("throttled", detail, retry_after=wait, **about)
        return True

    async def admitted(self, identities: list[tuple[str, object]]) -> bool:
        """Count this socket against the caps (chat/ws_sockets.py); over one, refuse it (4429)."""
        if not await ws_sockets.socket_admit(self.channel_name, identities):
            await self.refuse(CLOSE_TOO_MANY_SOCKETS)
            return False
        self.counted = True
        return True

    async def websocket_disconnect(self, message):
        if getattr(self, "counted", False):
            self.counted = False
            await ws_sockets.socket_release(self.channel_name)
        await super().websocket_disconnect(message)

    @staticmethod
    def id_field(content: dict, name: str) -> int:
        try:
            return services.clean_id(content.get(name))
        except DomainError as error:
            raise DomainError("invalid", f"'{name}' must be a positive integer.") from error

    # Group events ------------------------------------------------------------------------

    def is_listening_to(self, chat_id: int) -> bool:
        raise NotImplementedError

    async def chat_typing(self, event):
        if event.get("origin") != self.channel_name and self.is_listening_to(event["frame"]["chat_id"]):
            await self.send_json(event["frame"])


class VisitorConsumer(FrameConsumer):
    """`/ws/visitor/chats/<chat_id>/?token=…[&after_seq=N]`: one visitor, one chat."""

    client_frames = {"message.send": "on_message_send", "typing": "on_typing", "chat.end": "on_chat_end"}

    async def connect(self):
        if not visitor_origin_allowed(self.scope):
            await self.refuse(CLOSE_FORBIDDEN)
            return
        try:
            self.chat = await database_sync_to_async(services.chat_for_visitor)(
                chat_id=self.scope["url_route"]["kwargs"]["chat_id"], token=self.query_param("token") or ""
            )
        except DomainError as error:
            await self.refuse(CLOSE_FORBIDDEN if error.code == "not_allowed" else CLOSE_UNAUTHORIZED)
            return
        try:
            after_seq = max(0, int(self.query_param("after_seq") or 0))
        except ValueError:
            after_seq = 0
        self.group = chat_group(self.chat.pk)
        # Keyed by the token's hash, not the chat id: ids can come back (a test database flushed
        # between tests, a restored backup) and would inherit another chat's count.
        client_ip = ws_throttle.scope_client_ip(self.scope)
        self.rate_limits = [("visitor", self.chat.visitor_token_hash), ("ip", client_ip)]
        self.frame_limits = [("visitor_frames", self.chat.visitor_token_hash), ("ip_frames", client_ip)]
        if not await self.admitted([("visitor", self.chat.visitor_token_hash), ("ip", client_ip)]):
            return
        # Join before reading the replay so that nothing falls between the two; live
        # messages the replay already covered are dropped by `seq` below.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        replay = await database_sync_to_async(_message_replay)(self.chat.pk, after_seq)
        for frame in replay:
            await self.send_json(frame)
        self.replayed_up_to = replay[-1]["seq"] if replay else after_seq
        closing = await database_sync_to_async(self._closing_frame)()
        if closing is not None:
            await self.send_json(closing)

    def _closing_frame(self) -> dict | None:
        """What a (re)connecting visitor must know beyond messages: a pending or past end."""
        chat = Chat.objects.get(pk=self.chat.pk)
        if chat.status == Chat.Status.ENDING:
            return frames.ending_frame(chat)
        ticket_id = Ticket.objects.filter(source_chat=chat).values_list("pk", flat=True).first()
        if chat.status == Chat.Status.ENDED:
            return frames.ended_frame(chat, ticket_id=ticket_id)
        if chat.status == Chat.Status.MISSED:
            return frames.missed_frame(chat, ticket_id=ticket_id)
        return None

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def on_message_send(self, content):
        message, created = await database_sync_to_async(services.message_post)(
            chat_id=self.chat.pk,
            body=content.get("body"),
            client_id=content.get("client_id"),
            sender_kind=Message.SenderKind.VISITOR,
            sender_name=self.chat.visitor.name,
        )
        if not created:  # a re-sent frame: answer the sender alone, nobody sees it twice
            await self.send_json(frames.message_frame(message))

    async def on_typing(self, content):
        frame = {
            "type": "typing",
            "chat_id": self.chat.pk,
            "sender": {"kind": "visitor", "name": self.chat.visitor.name},
        }
        await self.channel_layer.group_send(
            self.group, {"type": "chat.typing", "frame": frame, "origin": self.channel_name}
        )

    async def on_chat_end(self, content):
        await database_sync_to_async(services.chat_visitor_leave)(chat=self.chat)

    def is_listening_to(self, chat_id: int) -> bool:
        return chat_id == self.chat.pk

    async def chat_frame(self, event):
        frame = event["frame"]
        if frame["type"] == "message" and frame["seq"] <= self.replayed_up_to:
            return  # already sent in the replay
        await self.send_json(frame)

    async def chat_closed(self, event):
        await self.send_json(event["frame"])


class AgentConsumer(FrameConsumer):
    """`/ws/agent/`: one socket carries all of an agent's chats and offers."""

    client_frames = {
        "message.send": "on_message_send",
        "typing": "on_typing",
        "chat.accept": "on_chat_accept",
        "chat.end": "on_chat_end",
        "chat.cancel_end": "on_chat_cancel_end",
    }

    async def connect(self):
        if not agent_origin_allowed(self.scope):
            await self.refuse(CLOSE_FORBIDDEN)
            return
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHORIZED)
            return
        self.agent = await database_sync_to_async(_agent_of)(user)
        if self.agent is None:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        client_ip = ws_throttle.scope_client_ip(self.scope)
        self.rate_limits = [("agent", self.agent.pk), ("ip", client_ip)]
        self.frame_limits = [("agent_frames", self.agent.pk), ("ip_frames", client_ip)]
        if not await self.admitted([("agent", self.agent.pk), ("ip", client_ip)]):
            return
        self.chat_ids: set[int] = set()
        self.replayed_up_to: dict[int, int] = {}
        # The groups through which taking a credential away closes this socket (agent_revoked).
        self.token_hash = self.scope.get("api_token_hash")
        session = self.scope.get("session") if self.token_hash is None else None
        self.session_key = session.session_key if session is not None else None
        self.revocation_groups = [agent_group(self.agent.pk)]
        if self.token_hash:
            self.revocation_groups.append(token_group(self.token_hash))
        elif self.session_key:
            self.revocation_groups.append(session_group(self.session_key))
        for group in self.revocation_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        state = await database_sync_to_async(self._initial_state)()
        if state is None:  # revoked between the handshake's check and joining the groups above
            await self.refuse(CLOSE_UNAUTHORIZED)
            return
        open_ids, pending = state
        for chat_id in open_ids:
            await self.join_chat(chat_id)
        await self.accept()
        for frame in pending:
            await self.send_json(frame)

    def _initial_state(self) -> tuple[list[int], list[dict]] | None:
        """Chats to join, and what waits for this agent's answer: offers, transfers, invitations.
        None if the socket's credentials are no longer valid."""
        if not agent_socket_credentials_valid(
            agent_id=self.agent.pk, session_key=self.session_key, token_hash=self.token_hash
        ):
            return None
        agent = self.agent
        pending = [frames.offered_frame(chat, ring=agent.ringer) for chat in selectors.waiting_chats_for(agent)]
        pending += [frames.transfer_frame("transfer.requested", t) for t in selectors.pending_transfers_to(agent)]
        pending += [frames.invitation_frame("invitation.requested", i) for i in selectors.pending_invitations_to(agent)]
        return selectors.open_chat_ids_for(agent), pending

    async def disconnect(self, code):
        if not hasattr(self, "revocation_groups"):
            return
        for group in self.revocation_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        for chat_id in list(self.chat_ids):
            await self.leave_chat(chat_id)

    async def join_chat(self, chat_id: int) -> None:
        self.chat_ids.add(chat_id)
        await self.channel_layer.group_add(chat_group(chat_id), self.channel_name)

    async def leave_chat(self, chat_id: int) -> None:
        self.chat_ids.discard(chat_id)
        self.replayed_up_to.pop(chat_id, None)
        await self.channel_layer.group_discard(chat_group(chat_id), self.channel_name)

    async def on_message_send(self, content):
        message, created = await database_sync_to_async(services.message_post)(
            chat_id=self.id_field(content, "chat_id"),
            body=content.get("body"),
            client_id=content.get("client_id"),
            sender_kind=Message.SenderKind.AGENT,
            sender_name=self.agent.display_name,
            agent=self.agent,
        )
        if not created:
            await self.send_json(frames.message_frame(message))

    async def on_typing(self, content):
        chat_id = self.id_field(content, "chat_id")
        if chat_id not in self.chat_ids:
            raise DomainError("not_allowed", "You do not take part in this chat.")
        frame = {"type": "typing", "chat_id": chat_id, "sender": {"kind": "agent", "name": self.agent.display_name}}
        await self.channel_layer.group_send(
            chat_group(chat_id), {"type": "chat.typing", "frame": frame, "origin": self.channel_name}
        )

    async def on_chat_accept(self, content):
        # The socket joins the chat only on the chat.joined event the service publishes to
        # the winner: an agent who may not take the chat never hears a word of it.
        await database_sync_to_async(services.chat_accept)(chat_id=self.id_field(content, "chat_id"), agent=self.agent)

    async def on_chat_end(self, content):
        await database_sync_to_async(services.chat_schedule_end)(
            chat_id=self.id_field(content, "chat_id"), agent=self.agent, delay_seconds=content.get("delay_seconds")
        )

    async def on_chat_cancel_end(self, content):
        await database_sync_to_async(services.chat_cancel_end)(
            chat_id=self.id_field(content, "chat_id"), agent=self.agent
        )

    def is_listening_to(self, chat_id: int) -> bool:
        return chat_id in self.chat_ids

    async def agent_revoked(self, event):
        """A credential this socket relies on was taken away (helpdesk.services.agent_sockets_revoke)."""
        self.closing = True
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def agent_frame(self, event):
        await self.send_json(event["frame"])

    async def chat_frame(self, event):
        chat_id, frame = event["chat_id"], event["frame"]
        if chat_id not in self.chat_ids:
            return  # a chat this socket left, or never joined
        if frame["type"] == "message" and frame["seq"] <= self.replayed_up_to.get(chat_id, 0):
            return  # already sent in the replay on joining
        await self.send_json(frame)

    async def chat_joined(self, event):
        """This agent now takes part in a chat (accepted on this socket or elsewhere): join it,
        say so, and replay what the visitor wrote while waiting."""
        chat_id = event["chat_id"]
        if chat_id in self.chat_ids:
            return
        await self.join_chat(chat_id)
        await self.send_json(event["frame"])
        replay = await database_sync_to_async(_message_replay)(chat_id, 0)
        for frame in replay:
            await self.send_json(frame)
        self.replayed_up_to[chat_id] = replay[-1]["seq"] if replay else 0

    async def chat_left(self, event):
        """This agent no longer takes part (they handed the chat over, or left it)."""
        if event["chat_id"] in self.chat_ids:
            await self.leave_chat(event["chat_id"])

    async def chat_closed(self, event):
        if event["chat_id"] in self.chat_ids:
            await self.send_json(event["frame"])
            await self.leave_chat(event["chat_id"])


def _agent_of(user):
    from helpdesk.models import Agent

    return Agent.objects.filter(user=user).select_related("user").first()
