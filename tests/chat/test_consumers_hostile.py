"""What a hostile or broken client can do to a socket: nothing but get an error."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tests.support.sockets import (
    agent_socket,
    assert_closed_with,
    connect,
    frames_before_marker,
    next_frame,
    receive_type,
    visitor_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def active_chat(agent):
    return accepted_chat(agent=agent)


async def test_agent_who_may_not_take_a_chat_hears_nothing_of_it(sales, support, agent):
    active_chat = await database_sync_to_async(accepted_chat)(agent=agent, department=sales)
    snooper = await database_sync_to_async(AgentFactory)(departments=[support])
    visitor = await visitor_socket(active_chat)
    spy = await agent_socket(snooper)

    async def keep_trying():
        for _ in range(20):
            await spy.send_json_to({"type": "chat.accept", "chat_id": active_chat.pk})
            await asyncio.sleep(0.01)

    attempts = asyncio.ensure_future(keep_trying())
    for i in range(20):
        await visitor.send_json_to({"type": "message.send", "body": f"secret {i}", "client_id": f"s{i}"})
    await attempts
    for i in range(20):
        assert (await receive_type(visitor, "message"))["client_id"] == f"s{i}"
    # One answer per attempt, each a refusal; then nothing before a later event to the spy.
    answers = [await spy.receive_json_from(timeout=5) for _ in range(20)]
    assert [(f["type"], f["code"]) for f in answers] == [("error", "not_found")] * 20
    assert await frames_before_marker(spy, snooper) == []
    await visitor.disconnect()
    await spy.disconnect()


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "message.send", "body": "\\ud800", "client_id": "a"}',  # lone surrogate
        '{"type": "message.send", "body": "nul \\u0000 inside", "client_id": "b"}',
        '{"type": "message.send", "body": "ok", "client_id": "\\u0000"}',
        '{"type": "message.send", "body": "ok", "client_id": ["list"]}',
        "[" * 100_000,
    ],
)
async def test_hostile_visitor_frames_get_an_error_and_write_nothing(active_chat, text):
    visitor = await visitor_socket(active_chat)
    await visitor.send_to(text_data=text)
    error = await receive_type(visitor, "error")
    assert error["code"] in {"invalid", "invalid_json"}
    await visitor.send_json_to({"type": "message.send", "body": "still open", "client_id": "z"})
    assert (await receive_type(visitor, "message"))["body"] == "still open"
    assert await database_sync_to_async(Message.objects.count)() == 1
    await visitor.disconnect()


@pytest.mark.parametrize("chat_id", [2**63, -1, 0, 1.5, True, None, "1"])
async def test_agent_frames_with_impossible_ids_are_invalid(agent, active_chat, chat_id):
    socket = await agent_socket(agent)
    for frame_type in ("message.send", "chat.accept", "chat.end", "typing"):
        await socket.send_json_to({"type": frame_type, "chat_id": chat_id, "body": "x", "delay_seconds": 0})
        assert (await receive_type(socket, "error"))["code"] == "invalid"
    await socket.disconnect()


@pytest.mark.parametrize("origin", [b"http://x:99999", b"http://[::1", b"not a url"])
async def test_malformed_origins_are_refused(active_chat, origin):
    communicator = await connect(
        f"/ws/visitor/chats/{active_chat.pk}/?token={active_chat.token}", origin=(b"origin", origin)
    )
    await assert_closed_with(communicator, 4403)


@pytest.mark.parametrize("token", ["%00", "x" * 500, "%F0%9F%92%A9"])
async def test_malformed_agent_tokens_close_4401(agent, token):
    communicator = await connect(f"/ws/agent/?token={token}")
    await assert_closed_with(communicator, 4401)


async def test_joining_agent_gets_what_the_visitor_wrote_while_waiting(sales, agent):
    chat = await database_sync_to_async(ChatFactory)(department=sales)
    visitor = await visitor_socket(chat)
    for body in ("hello?", "anyone?"):
        await visitor.send_json_to({"type": "message.send", "body": body, "client_id": body})
        await receive_type(visitor, "message")
    alice = await agent_socket(agent)
    await alice.send_json_to({"type": "chat.accept", "chat_id": chat.pk})
    assert (await alice.receive_json_from(timeout=5))["type"] == "chat.offered"  # offered on connect
    assert (await alice.receive_json_from(timeout=5))["type"] == "chat.accepted"
    replay = [await alice.receive_json_from(timeout=5) for _ in range(2)]
    assert [(f["type"], f["seq"], f["body"]) for f in replay] == [("message", 1, "hello?"), ("message", 2, "anyone?")]
    await visitor.send_json_to({"type": "message.send", "body": "live", "client_id": "live"})
    assert (await receive_type(alice, "message"))["seq"] == 3
    await visitor.send_json_to({"type": "typing"})
    assert await next_frame(alice, "typing")  # nothing came twice before it
    await visitor.disconnect()
    await alice.disconnect()


async def test_errors_do_not_echo_what_the_client_sent(agent, active_chat):
    """An unknown type, or an id no valid frame carries, is not sent back: a near-megabyte frame
    must not come back as a near-megabyte error."""
    huge = "x" * 1_000_000
    for socket in (await visitor_socket(active_chat), await agent_socket(agent)):
        await socket.send_json_to({"type": huge})
        error = await receive_type(socket, "error")
        assert error["code"] == "unknown_type" and len(json.dumps(error)) < 300, error["detail"][:100]
        await socket.send_json_to({"type": "message.send", "body": "", "chat_id": huge, "client_id": huge})
        error = await receive_type(socket, "error")
        assert error["code"] == "invalid" and len(json.dumps(error)) < 300
        await socket.send_json_to({"type": "message.send", "body": "", "chat_id": active_chat.pk, "client_id": "c-1"})
        error = await receive_type(socket, "error")
        assert error["client_id"] == "c-1"  # what a valid frame carries still identifies it
        await socket.disconnect()
