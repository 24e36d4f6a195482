"""`/ws/agent/`: one socket per agent tab, carrying all of the agent's chats and offers."""

from django.utils.translation import gettext as _

from chat import frames, selectors, services
from chat.consumers import throttle as ws_throttle
from chat.consumers.base import CLOSE_FORBIDDEN, CLOSE_UNAUTHORIZED, FrameConsumer, message_replay
from chat.consumers.presence import presence_end, presence_track
from chat.models import Chat, Message
from chat.origins import agent_origin_allowed
from chat.services.presence import agent_connection_open
from helpdesk.agents.selectors import agent_socket_credentials_valid
from helpdesk.platform.db_threads import database_sync_to_async
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import MONITOR_GROUP, agent_group, chat_group, session_group, token_group


class AgentConsumer(FrameConsumer):
    """`/ws/agent/`: one socket carries all of an agent's chats and offers."""

    socket_kind = "agent"
    client_frames = {
        "message.send": "on_message_send",
        "typing": "on_typing",
        "chat.accept": "on_chat_accept",
        "chat.end": "on_chat_end",
        "chat.cancel_end": "on_chat_cancel_end",
        # The live monitor (managers: chat.monitor_chats); docs/protocol.md, "Live monitor".
        "monitor.subscribe": "on_monitor_subscribe",
        "monitor.watch": "on_monitor_watch",
        "monitor.unwatch": "on_monitor_unwatch",
    }

    async def connect(self):
        if not agent_origin_allowed(self.scope):
            await self.refuse(CLOSE_FORBIDDEN)
            return
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHORIZED)
            return
        self.agent = await database_sync_to_async(selectors.agent_of_user)(user)
        if self.agent is None:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        client_ip = ws_throttle.scope_client_ip(self.scope)
        self.rate_limits = [("agent", self.agent.pk), ("ip", client_ip)]
        self.frame_limits = [("agent_frames", self.agent.pk), ("ip_frames", client_ip)]
        if not await self.admitted([("agent", self.agent.pk), ("ip", client_ip)]):
            return
        self.chat_ids: set[int] = set()
        # Chats a manager watches read-only from the live monitor: in their groups without
        # taking part (nothing that needs taking part is allowed in them).
        self.watched_ids: set[int] = set()
        self.monitoring = False  # in the live monitor's group
        self.connection_open = False  # recorded as the agent's connection (presence)
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
        presence_track(self.channel_name, self.agent.pk)
        open_ids, pending = state
        for chat_id in open_ids:
            await self.join_chat(chat_id)
        await self.accept()
        for frame in pending:
            await self.send_json(frame)

    def _initial_state(self) -> tuple[list[int], list[dict]] | None:
        """Chats to join, and what waits for this agent's answer: offers, transfers, invitations.
        None if the socket's credentials are no longer valid. The socket counts as the agent's
        connection from here (presence), before the offers are read: an agent who was away is
        offered what waits at once."""
        if not agent_socket_credentials_valid(
            agent_id=self.agent.pk, session_key=self.session_key, token_hash=self.token_hash
        ):
            return None
        agent = self.agent
        agent_connection_open(agent=agent, channel_name=self.channel_name)
        self.connection_open = True
        pending = [
            frames.offered_frame(chat, ring=agent.ringer, expires_at=chat.offer_expires_at)
            for chat in selectors.waiting_chats_for(agent)
        ]
        pending += [frames.transfer_frame("transfer.requested", t) for t in selectors.pending_transfers_to(agent)]
        pending += [frames.invitation_frame("invitation.requested", i) for i in selectors.pending_invitations_to(agent)]
        return selectors.open_chat_ids_for(agent), pending

    async def disconnect(self, code):
        if not hasattr(self, "revocation_groups"):
            return
        if self.connection_open:
            await presence_end(self.channel_name)
        for group in self.revocation_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.monitoring:
            await self.channel_layer.group_discard(MONITOR_GROUP, self.channel_name)
        self.watched_ids.clear()
        for chat_id in list(self.chat_ids):
            await self.leave_chat(chat_id)

    async def join_chat(self, chat_id: int) -> None:
        self.chat_ids.add(chat_id)
        await self.channel_layer.group_add(chat_group(chat_id), self.channel_name)

    async def leave_chat(self, chat_id: int) -> None:
        self.chat_ids.discard(chat_id)
        if chat_id in self.watched_ids:
            return  # still watched: the group stays
        self.replayed_up_to.pop(chat_id, None)
        await self.channel_layer.group_discard(chat_group(chat_id), self.channel_name)

    async def on_message_send(self, content):
        message, created = await database_sync_to_async(services.message_post)(
            actor=self.agent,
            chat_id=self.id_field(content, "chat_id"),
            body=content.get("body"),
            client_id=content.get("client_id"),
            internal=content.get("internal", False),
        )
        if not created:
            await self.send_json(frames.message_frame(message))

    async def on_typing(self, content):
        chat_id = self.id_field(content, "chat_id")
        if chat_id not in self.chat_ids:
            raise DomainError(ErrorCode.NOT_ALLOWED, _("You do not take part in this chat."))
        # Writing an internal note: the other agents see it, the visitor's socket does not.
        internal = services.clean_internal(content.get("internal", False))
        frame = frames.typing_frame(
            chat_id=chat_id, sender_kind=Message.SenderKind.AGENT, sender_name=self.agent.display_name
        )
        await self.channel_layer.group_send(
            chat_group(chat_id),
            {"type": "chat.typing", "frame": frame, "origin": self.channel_name, "internal": internal},
        )

    async def on_chat_accept(self, content):
        # The socket joins the chat only on the chat.joined event the service publishes to
        # the winner: an agent who may not take the chat never hears a word of it.
        await database_sync_to_async(services.chat_accept)(actor=self.agent, chat_id=self.id_field(content, "chat_id"))

    async def on_chat_end(self, content):
        await database_sync_to_async(services.chat_schedule_end)(
            actor=self.agent, chat_id=self.id_field(content, "chat_id"), delay_seconds=content.get("delay_seconds")
        )

    async def on_chat_cancel_end(self, content):
        await database_sync_to_async(services.chat_cancel_end)(
            actor=self.agent, chat_id=self.id_field(content, "chat_id")
        )

    # The live monitor ----------------------------------------------------------------------

    async def require_monitor(self) -> None:
        if not await database_sync_to_async(selectors.may_use_monitor)(self.agent.pk):
            raise DomainError(ErrorCode.NOT_ALLOWED, _("You may not use the live monitor."))

    async def on_monitor_subscribe(self, content):
        """Join the monitor's group, then send what it shows now (`monitor.state`): every
        `monitor.*` frame after it is newer (group events wait while this handler runs)."""
        await self.require_monitor()
        if not self.monitoring:
            await self.channel_layer.group_add(MONITOR_GROUP, self.channel_name)
            self.monitoring = True
        state = await database_sync_to_async(selectors.monitor_state)()
        await self.send_json(frames.monitor_state_frame(state))

    async def on_monitor_watch(self, content):
        """Watch an open chat read-only: `monitor.watching`, then its messages past `after_seq`
        (default 0), then whatever happens in it, as its agents get it. Asked again for a chat
        already watched, it replays from `after_seq` (how the page fills a gap)."""
        chat_id = self.id_field(content, "chat_id")
        after_seq = content.get("after_seq", 0)
        if isinstance(after_seq, bool) or not isinstance(after_seq, int) or after_seq < 0:
            raise DomainError(ErrorCode.INVALID, _("'after_seq' must be a whole number, 0 or more."))
        await self.require_monitor()
        chat = await database_sync_to_async(selectors.monitor_chat)(chat_id)
        if chat is None:
            raise DomainError(ErrorCode.NOT_FOUND, _("No such chat."))
        if chat.status in Chat.CLOSED_STATUSES and chat_id not in self.watched_ids:
            raise DomainError(ErrorCode.CHAT_CLOSED, _("This chat has ended."))
        if chat_id not in self.watched_ids:
            self.watched_ids.add(chat_id)
            if chat_id not in self.chat_ids:
                await self.channel_layer.group_add(chat_group(chat_id), self.channel_name)
        await self.send_json(frames.monitor_watching_frame(chat))
        replay = await database_sync_to_async(message_replay)(chat_id, after_seq)
        for frame in replay:
            await self.send_json(frame)
        if replay:
            self.replayed_up_to[chat_id] = max(self.replayed_up_to.get(chat_id, 0), replay[-1]["seq"])

    async def on_monitor_unwatch(self, content):
        chat_id = self.id_field(content, "chat_id")
        await self.stop_watching(chat_id)

    async def stop_watching(self, chat_id: int) -> None:
        if chat_id not in self.watched_ids:
            return
        self.watched_ids.discard(chat_id)
        if chat_id not in self.chat_ids:
            self.replayed_up_to.pop(chat_id, None)
            await self.channel_layer.group_discard(chat_group(chat_id), self.channel_name)

    def is_watching(self, chat_id: int) -> bool:
        """A chat this manager's socket watches read-only (e.g. to write an internal note in)."""
        return chat_id in self.watched_ids

    async def monitor_frame(self, event):
        if self.monitoring:
            await self.send_json(event["frame"])

    def is_listening_to(self, chat_id: int) -> bool:
        return chat_id in self.chat_ids or chat_id in self.watched_ids

    async def agent_revoked(self, event):
        """A credential this socket relies on was taken away (helpdesk.agents.services.agent_sockets_revoke)."""
        self.closing = True
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def agent_frame(self, event):
        await self.send_json(event["frame"])

    async def chat_frame(self, event):
        chat_id, frame = event["chat_id"], event["frame"]
        if not self.is_listening_to(chat_id):
            return  # a chat this socket left, or never joined
        if frame["type"] != "message":
            await self.send_json(frame)
        elif frame["seq"] > self.replayed_up_to.get(chat_id, 0):  # else sent in the replay on joining
            await self.send_message_frame(frame, event)

    async def chat_joined(self, event):
        """This agent now takes part in a chat (accepted on this socket or elsewhere): join it,
        say so, and replay what the visitor wrote while waiting."""
        chat_id = event["chat_id"]
        if chat_id in self.chat_ids:
            return
        await self.join_chat(chat_id)
        await self.send_json(event["frame"])
        replay = await database_sync_to_async(message_replay)(chat_id, 0)
        for frame in replay:
            await self.send_json(frame)
        self.replayed_up_to[chat_id] = replay[-1]["seq"] if replay else 0

    async def chat_left(self, event):
        """This agent no longer takes part (they handed the chat over, or left it)."""
        if event["chat_id"] in self.chat_ids:
            await self.leave_chat(event["chat_id"])

    async def chat_closed(self, event):
        chat_id = event["chat_id"]
        if self.is_listening_to(chat_id):
            await self.send_json(event["frame"])
        if chat_id in self.watched_ids:
            await self.stop_watching(chat_id)
        if chat_id in self.chat_ids:
            await self.leave_chat(chat_id)
