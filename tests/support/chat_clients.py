"""Chat clients for fault tests that behave as docs/protocol.md tells a client to: apply
`message` frames by `seq` (drop what it has, stop at a gap), keep what it sent until its
`client_id` comes back, and resync by `after_seq` after a reconnect or a gap; and plain HTTP
requests to a live server."""

import asyncio
import json
import urllib.request

import websockets
from django.db import connection

from chat.models import Chat, Message
from tickets.models import Ticket


def http(method: str, url: str, payload=None, token: str | None = None) -> tuple[int, dict]:
    """(status, JSON body) of a request to a live server, whatever the status."""
    request = urllib.request.Request(url, method=method, data=json.dumps(payload).encode() if payload else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class ChatSide:
    """One side of one chat. `conversation` is what the client shows, in `seq` order."""

    headers: dict = {}  # sent with every handshake (tests/production: what the TLS proxy adds)
    connect_options: dict = {}  # more for websockets.connect (e.g. `ssl` for a wss:// server)

    def __init__(self, server, chat_id: int):
        self.server, self.chat_id = server, chat_id
        self.conversation: list[dict] = []
        self.unconfirmed: dict[str, str] = {}  # client_id -> body, sent but not seen back
        self.gap = False  # a live frame skipped a seq: resync before trusting the view
        self.socket = None
        self.close_codes: list[int | None] = []  # of every socket that ended, in order
        self.other_frames: list[dict] = []  # everything but `message`, in order
        self.delivered: list[int] = []  # seq of every message frame or REST item received
        self._reader = None

    @property
    def last_seq(self) -> int:
        return self.conversation[-1]["seq"] if self.conversation else 0

    def url(self) -> str:
        raise NotImplementedError

    def message_frame(self, body: str, client_id: str) -> dict:
        raise NotImplementedError

    async def resync(self) -> None:
        """Fill the gap after (re)connecting."""

    async def connect(self) -> None:
        """Open a socket, resync, then re-send what was never confirmed (same client_id)."""
        self.gap = False
        self.socket = await websockets.connect(
            self.url(), open_timeout=5, additional_headers=self.headers, **self.connect_options
        )
        self._reader = asyncio.create_task(self._read(self.socket))
        await self.resync()
        for client_id, body in list(self.unconfirmed.items()):
            await self.socket.send(json.dumps(self.message_frame(body, client_id)))

    async def reconnect(self) -> None:
        await self.disconnect()
        await self.connect()

    async def disconnect(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            await self._reader
            self.socket = None

    @property
    def is_open(self) -> bool:
        return self.socket is not None and not self._reader.done()

    async def send_frame(self, frame: dict) -> None:
        await self.socket.send(json.dumps(frame))

    async def send(self, body: str, client_id: str) -> None:
        self.unconfirmed[client_id] = body
        await self.socket.send(json.dumps(self.message_frame(body, client_id)))

    def apply(self, message: dict) -> None:
        if message["chat_id"] != self.chat_id or message["seq"] <= self.last_seq:
            return  # a duplicate: already shown
        if message["seq"] > self.last_seq + 1:
            self.gap = True
            return
        self.conversation.append(message)
        self.unconfirmed.pop(message["client_id"], None)

    async def _read(self, socket) -> None:
        try:
            async for raw in socket:
                frame = json.loads(raw)
                if frame["type"] == "message":
                    self.delivered.append(frame["seq"])
                    self.apply(frame)
                else:
                    self.other_frames.append(frame)
        except websockets.ConnectionClosed:
            pass
        self.close_codes.append(socket.close_code)

    async def wait_for(self, predicate, timeout: float = 10, what: str = "condition") -> None:
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise AssertionError(
                f"{type(self).__name__}: {what} not met within {timeout}s; has seqs "
                f"{[m['seq'] for m in self.conversation]}, gap={self.gap}, closes={self.close_codes}"
            ) from None

    async def wait_for_seq(self, seq: int, timeout: float = 10) -> None:
        """Until the conversation holds `seq`. Frames published by two server processes may arrive
        out of `seq` order (docs/protocol.md): past a gap this side asks again for what it
        missed, as the pages do."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.last_seq < seq:
            if self.gap:
                await self.recover()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                await self.wait_for(lambda: self.last_seq >= seq, 0, f"seq {seq}")  # raises, with the state
            await self.wait_for(lambda: self.last_seq >= seq or self.gap, remaining, f"seq {seq}")

    async def recover(self) -> None:
        """Fetch what a gap lost: a visitor reconnects with `after_seq` (its replay fills the gap)."""
        await self.reconnect()

    def told_unavailable(self, client_id: str) -> bool:
        """Whether the server answered the frame with `client_id` with an `unavailable` error
        (what it did, or what it published after, could not be delivered)."""
        return any(f.get("code") == "unavailable" and f.get("client_id") == client_id for f in self.other_frames)


class VisitorSide(ChatSide):
    """Resyncs by reconnecting with `?after_seq=<last_seq>`: the replay fills the gap."""

    def __init__(self, server, chat_id: int, token: str):
        super().__init__(server, chat_id)
        self.token = token

    def url(self) -> str:
        return f"{self.server.ws_url}/ws/visitor/chats/{self.chat_id}/?token={self.token}&after_seq={self.last_seq}"

    def message_frame(self, body: str, client_id: str) -> dict:
        return {"type": "message.send", "body": body, "client_id": client_id}


class AgentSide(ChatSide):
    """Resyncs through `GET /api/v1/chats/{id}/messages/?after_seq=<last_seq>` (the agent
    socket replays nothing on connect)."""

    def __init__(self, server, chat_id: int, api_token: str):
        super().__init__(server, chat_id)
        self.api_token = api_token

    def url(self) -> str:
        return f"{self.server.ws_url}/ws/agent/?token={self.api_token}"

    def message_frame(self, body: str, client_id: str) -> dict:
        return {"type": "message.send", "chat_id": self.chat_id, "body": body, "client_id": client_id}

    async def recover(self) -> None:
        await self.resync()

    async def resync(self) -> None:
        url = f"{self.server.url}/api/v1/chats/{self.chat_id}/messages/?after_seq={self.last_seq}"
        status, messages = await asyncio.to_thread(http, "GET", url, token=self.api_token)
        assert status == 200, messages
        for message in messages:
            self.delivered.append(message["seq"])
            self.apply(message)
        self.gap = False


async def exchange(sender: ChatSide, body: str, client_id: str, *everyone: ChatSide) -> None:
    """Send, and wait until every side shows it (so frames from two processes never cross)."""
    seq = max(side.last_seq for side in everyone) + 1
    await sender.send(body, client_id)
    for side in everyone:
        await side.wait_for_seq(seq)


async def typing_gets_through(sender: ChatSide, receiver: ChatSide, timeout: float = 10) -> None:
    """Live frames flow between the two sockets: `sender`'s typing (re-sent every 0.2 s)
    reaches `receiver` within `timeout`."""
    receiver.other_frames.clear()
    typing = {"type": "typing", "chat_id": sender.chat_id}
    try:
        async with asyncio.timeout(timeout):
            while not any(f["type"] == "typing" for f in receiver.other_frames):
                await sender.send_frame(typing)
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"no live frame from {type(sender).__name__} within {timeout}s") from None


def fetch(method: str, url: str, payload=None, token: str | None = None) -> tuple[int, str, str]:
    """(status, Content-Type, raw body) of a request, whatever the status."""
    request = urllib.request.Request(url, method=method, data=json.dumps(payload).encode() if payload else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


async def close_code_of(url: str) -> int | None:
    """Open a socket and read until the server closes it; the close code."""
    async with websockets.connect(url, open_timeout=5) as socket, asyncio.timeout(5):
        try:
            async for _ in socket:
                pass
        except websockets.ConnectionClosed:
            pass
    return socket.close_code


async def wait_stored(chat_id: int, count: int, timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while len(await stored_conversation(chat_id)) < count:
            await asyncio.sleep(0.05)


def as_rows(messages) -> list[tuple]:
    """(seq, sender kind, body, client_id) of message frames or Message rows, for comparing."""
    return [
        (m["seq"], m["sender"]["kind"], m["body"], m["client_id"])
        if isinstance(m, dict)
        else (m.seq, m.sender_kind, m.body, m.client_id)
        for m in messages
    ]


def chat_state(chat_id: int) -> tuple[str, list[str]]:
    """The chat's status and its tickets' kinds. Run on a worker thread, whose connection is
    given back after: one held keeps PostgreSQL from dropping the test database."""
    try:
        chat = Chat.objects.get(pk=chat_id)
        return chat.status, list(Ticket.objects.filter(source_chat=chat).values_list("kind", flat=True))
    finally:
        connection.close()


async def stored_conversation(chat_id: int) -> list[tuple]:
    """`as_rows` of the chat's messages in the database. Read on a worker thread whose
    connection is closed after: one left open keeps PostgreSQL from dropping the test database."""

    def read():
        try:
            return as_rows(Message.objects.filter(chat_id=chat_id).order_by("seq"))
        finally:
            connection.close()

    return await asyncio.to_thread(read)
