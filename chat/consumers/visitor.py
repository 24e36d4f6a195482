"""`/ws/visitor/chats/<chat_id>/`: the visitor's socket for their one chat."""

from chat import frames, selectors, services
from chat.consumers import throttle as ws_throttle
from chat.consumers.base import CLOSE_FORBIDDEN, CLOSE_UNAUTHORIZED, FrameConsumer
from chat.models import Chat, Message
from chat.origins import visitor_origin_allowed
from helpdesk.actors import ChatVisitor
from helpdesk.platform.db_threads import database_sync_to_async
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import chat_group


def visitor_message_replay(chat_id: int, after_visitor_seq: int) -> list[dict]:
    """The messages past `after_seq` as the visitor sees them: numbered in their own sequence,
    internal notes left out (selectors.visitor_messages_after)."""
    return [
        frames.visitor_message_frame(frames.message_frame(message), visitor_seq)
        for visitor_seq, message in selectors.visitor_messages_after(
            chat_id=chat_id, after_visitor_seq=after_visitor_seq
        )
    ]


class VisitorConsumer(FrameConsumer):
    """`/ws/visitor/chats/<chat_id>/?token=…[&after_seq=N]`: one visitor, one chat."""

    client_frames = {"message.send": "on_message_send", "typing": "on_typing", "chat.end": "on_chat_end"}
    socket_kind = "visitor"

    async def connect(self):
        if not visitor_origin_allowed(self.scope):
            await self.refuse(CLOSE_FORBIDDEN)
            return
        try:
            self.chat = await database_sync_to_async(services.chat_for_visitor)(
                chat_id=self.scope["url_route"]["kwargs"]["chat_id"], token=self.query_param("token") or ""
            )
        except DomainError as error:
            await self.refuse(CLOSE_FORBIDDEN if error.code == ErrorCode.NOT_ALLOWED else CLOSE_UNAUTHORIZED)
            return
        self.actor = ChatVisitor.of(self.chat)
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
        replay = await database_sync_to_async(visitor_message_replay)(self.chat.pk, after_seq)
        for frame in replay:
            await self.send_json(frame)
        self.replayed_up_to = replay[-1]["seq"] if replay else after_seq
        state = await database_sync_to_async(self._state_frame)()
        if state is not None:
            await self.send_json(state)

    def _state_frame(self) -> dict | None:
        """What a (re)connecting visitor must know beyond messages: their place in the queue
        while the chat waits, or a pending or past end."""
        chat, ticket_id = selectors.chat_with_ticket_id(self.chat.pk)
        if chat.status == Chat.Status.WAITING:
            return services.queue_position_frame_for(chat)
        if chat.status == Chat.Status.ENDING:
            return frames.ending_frame(chat)
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
            actor=self.actor, chat_id=self.chat.pk, body=content.get("body"), client_id=content.get("client_id")
        )
        if not created:  # a re-sent frame: answer the sender alone, nobody sees it twice
            visitor_seq = await database_sync_to_async(selectors.visitor_seq_of)(message)
            await self.send_json(frames.visitor_message_frame(frames.message_frame(message), visitor_seq))

    async def on_typing(self, content):
        frame = frames.typing_frame(
            chat_id=self.chat.pk, sender_kind=Message.SenderKind.VISITOR, sender_name=self.actor.name
        )
        await self.channel_layer.group_send(
            self.group, {"type": "chat.typing", "frame": frame, "origin": self.channel_name}
        )

    async def on_chat_end(self, content):
        await database_sync_to_async(services.chat_end)(actor=self.actor, chat_id=self.chat.pk)

    def is_listening_to(self, chat_id: int) -> bool:
        return chat_id == self.chat.pk

    async def chat_frame(self, event):
        frame = event["frame"]
        if frame["type"] != "message":
            await self.send_json(frame)
            return
        visitor_seq = event.get("visitor_seq", frame["seq"])
        if frame.get("internal") or visitor_seq is None:
            return  # an internal note: agents only
        frame = frames.visitor_message_frame(frame, visitor_seq)
        if frame["seq"] > self.replayed_up_to:  # else sent in the replay
            await self.send_message_frame(frame, event)

    async def chat_typing(self, event):
        if event.get("internal"):
            return  # an agent writing an internal note
        await super().chat_typing(event)

    async def chat_closed(self, event):
        await self.send_json(event["frame"])
