"""Websocket clients of the ASGI application in the test process (channels.testing), and how
to prove that a frame did *not* come: make something later certainly come on the same socket and
look at what arrived before it, never wait a while for silence."""

import asyncio
import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chat.models import Message
from chat.visitor_info import VisitorFacts
from helpdesk.asgi import application
from helpdesk.platform.events import publish_to_agent

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")

# No client frame has this type: an open socket answers it with an `unknown_type` error.
PROBE = {"type": "probe"}
# Published to an agent's group by `frames_before_marker`; no server event has this type.
MARKER = {"type": "test.marker"}


async def connect(path: str, origin=ORIGIN) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=[HOST, origin])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def visitor_socket(chat, after_seq=None) -> WebsocketCommunicator:
    query = f"?token={chat.token}" + (f"&after_seq={after_seq}" if after_seq is not None else "")
    return await connect(f"/ws/visitor/chats/{chat.pk}/{query}")


async def agent_socket(agent) -> WebsocketCommunicator:
    return await connect(f"/ws/agent/?token={agent.api_key}")


async def receive_type(communicator, frame_type: str, timeout: float = 5) -> dict:
    """The next frame of `frame_type`, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await communicator.receive_json_from(timeout=timeout)
            if frame["type"] == frame_type:
                return frame


async def assert_closed_with(communicator, code: int) -> None:
    output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": code}


@database_sync_to_async
def count_messages(chat) -> int:
    return Message.objects.filter(chat_id=chat.pk).count()


def visitor_facts() -> VisitorFacts:
    """What a visitor's request from this machine tells (chat_start's `facts`)."""
    return VisitorFacts("127.0.0.1", "", "", "", "Local network")


# Proving that nothing came -------------------------------------------------------------------


async def frames_until(communicator, frame_type: str, timeout: float = 5) -> list[dict]:
    """Every frame up to and including the first of `frame_type`, in order."""
    frames = []
    async with asyncio.timeout(timeout):
        while not frames or frames[-1]["type"] != frame_type:
            frames.append(await communicator.receive_json_from(timeout=timeout))
    return frames


async def next_frame(communicator, frame_type: str, timeout: float = 5) -> dict:
    """The next frame, which must be of `frame_type`: nothing else came before it."""
    frame = await communicator.receive_json_from(timeout=timeout)
    assert frame["type"] == frame_type, f"expected {frame_type!r} next, got {frame}"
    return frame


async def probe(communicator, timeout: float = 5) -> list[dict]:
    """Send PROBE and return the frames that came before its answer; fails if the socket is
    closed instead. The consumer handles a socket's frames one at a time, so the answer also
    comes after whatever it sent for the frames sent before. (A group event published meanwhile
    may still come after it: for those, see `frames_before_marker`.)"""
    await communicator.send_json_to(PROBE)
    frames = await frames_until(communicator, "error", timeout)
    while frames[-1]["code"] != "unknown_type":
        frames += await frames_until(communicator, "error", timeout)
    return frames[:-1]


async def close_code_or_open(communicator, timeout: float = 5) -> int | None:
    """The code the socket was closed with, or None if it is open (it answers PROBE)."""
    await communicator.send_json_to(PROBE)
    async with asyncio.timeout(timeout):
        while True:
            output = await communicator.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return output.get("code")
            if json.loads(output["text"]).get("code") == "unknown_type":
                return None


async def frames_before_marker(communicator, agent, timeout: float = 5) -> list[dict]:
    """Publish MARKER to `agent`'s group through the channel layer and return the frames the
    agent's socket received before it: whatever was published to that socket earlier (to the
    agent or to a chat it listens to) reached it before the marker."""
    await database_sync_to_async(publish_to_agent)(agent.pk, MARKER)
    return (await frames_until(communicator, MARKER["type"], timeout))[:-1]
