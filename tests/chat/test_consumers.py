"""The websocket protocol, through channels.testing.WebsocketCommunicator on the real
Redis channel layer and the test database."""

import json

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Chat
from helpdesk.actors import SYSTEM
from helpdesk.agents.services import api_token_create
from tests.factories import AgentFactory, ChatFactory, UserFactory, accepted_chat
from tests.support.sockets import (
    agent_socket,
    assert_closed_with,
    connect,
    count_messages,
    frames_before_marker,
    next_frame,
    probe,
    receive_type,
    visitor_facts,
    visitor_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def active_chat(agent):
    return accepted_chat(agent=agent)


# Handshake -------------------------------------------------------------------------------


async def test_visitor_with_wrong_or_missing_token_is_closed_4401(active_chat):
    for query in ("?token=wrong", ""):
        communicator = await connect(f"/ws/visitor/chats/{active_chat.pk}/{query}")
        await assert_closed_with(communicator, 4401)


async def test_visitor_token_of_another_chat_is_closed_4403(active_chat):
    other = await database_sync_to_async(ChatFactory)()
    communicator = await connect(f"/ws/visitor/chats/{active_chat.pk}/?token={other.token}")
    await assert_closed_with(communicator, 4403)


async def test_agent_without_valid_token_is_closed_4401(agent):
    for path in ("/ws/agent/", "/ws/agent/?token=nope"):
        communicator = await connect(path)
        await assert_closed_with(communicator, 4401)


async def test_user_who_is_not_an_agent_is_closed_4403(db):
    def make_user():
        return api_token_create(actor=SYSTEM, user=UserFactory()).key

    token = await database_sync_to_async(make_user)()
    communicator = await connect(f"/ws/agent/?token={token}")
    await assert_closed_with(communicator, 4403)


async def test_foreign_origins_are_refused(active_chat, agent, settings):
    evil = (b"origin", b"https://evil.example")
    communicator = await connect(f"/ws/visitor/chats/{active_chat.pk}/?token={active_chat.token}", origin=evil)
    await assert_closed_with(communicator, 4403)
    communicator = await connect(f"/ws/agent/?token={agent.api_key}", origin=evil)
    await assert_closed_with(communicator, 4403)
    settings.WIDGET_ALLOWED_ORIGINS = ["https://shop.example"]
    shop = (b"origin", b"https://shop.example")
    communicator = await connect(f"/ws/visitor/chats/{active_chat.pk}/?token={active_chat.token}", origin=shop)
    assert await probe(communicator) == []  # open, and nothing sent to it
    await communicator.disconnect()


# Bad frames ------------------------------------------------------------------------------


async def test_bad_frames_get_an_error_and_the_socket_stays_open(active_chat, settings):
    settings.CHAT_MAX_MESSAGE_CHARS = 50
    visitor = await visitor_socket(active_chat)
    cases = [
        ("{not json", "invalid_json"),
        (json.dumps(["a list"]), "invalid"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (json.dumps({"type": "message.send", "body": "x" * 51, "client_id": "long"}), "message_too_long"),
        (json.dumps({"type": "message.send", "body": "   "}), "invalid"),
        (json.dumps({"type": "message.send", "body": "ok", "client_id": "c" * 65}), "invalid"),
    ]
    for text, code in cases:
        await visitor.send_to(text_data=text)
        error = await visitor.receive_json_from(timeout=5)
        assert (error["type"], error["code"]) == ("error", code), text
        assert error["detail"]
    assert await count_messages(active_chat) == 0
    await visitor.send_json_to({"type": "message.send", "body": "still here", "client_id": "v1"})
    assert (await receive_type(visitor, "message"))["body"] == "still here"
    await visitor.disconnect()


async def test_agent_cannot_write_in_someone_elses_chat(active_chat, other_agent):
    intruder = await agent_socket(other_agent)
    await intruder.send_json_to({"type": "message.send", "chat_id": active_chat.pk, "body": "hi", "client_id": "x"})
    error = await receive_type(intruder, "error")
    assert error["code"] == "not_allowed" and error["client_id"] == "x"
    await intruder.send_json_to({"type": "message.send", "chat_id": "7", "body": "hi"})
    assert (await receive_type(intruder, "error"))["code"] == "invalid"
    await intruder.send_json_to({"type": "chat.end", "chat_id": active_chat.pk, "delay_seconds": 0})
    assert (await receive_type(intruder, "error"))["code"] == "not_allowed"
    assert await count_messages(active_chat) == 0
    await intruder.disconnect()


async def test_chat_of_another_department_is_not_found(support, agent):
    foreign = await database_sync_to_async(ChatFactory)(department=support, status=Chat.Status.ACTIVE)
    socket = await agent_socket(agent)
    for frame in (
        {"type": "message.send", "chat_id": foreign.pk, "body": "hi"},
        {"type": "chat.accept", "chat_id": foreign.pk},
        {"type": "chat.end", "chat_id": foreign.pk, "delay_seconds": 5},
        {"type": "chat.cancel_end", "chat_id": foreign.pk},
    ):
        await socket.send_json_to(frame)
        assert (await receive_type(socket, "error"))["code"] == "not_found", frame
    assert await count_messages(foreign) == 0
    await socket.disconnect()


async def test_end_delay_out_of_range_is_an_error(active_chat, agent):
    socket = await agent_socket(agent)
    for delay in (-1, 3601, "5", None):
        frame = {"type": "chat.end", "chat_id": active_chat.pk}
        await socket.send_json_to(frame if delay is None else {**frame, "delay_seconds": delay})
        assert (await receive_type(socket, "error"))["code"] == "invalid"
    status = await database_sync_to_async(lambda: Chat.objects.get(pk=active_chat.pk).status)()
    assert status == Chat.Status.ACTIVE
    await socket.disconnect()


# The conversation --------------------------------------------------------------------------


async def test_offer_accept_and_a_hundred_messages_each_way(sales, agent, other_agent):
    alice, bob = await agent_socket(agent), await agent_socket(other_agent)
    chat, token = await database_sync_to_async(services.chat_start)(
        name="Vera", email="vera@example.org", question="Hi?", department=sales, facts=visitor_facts()
    )
    chat.token = token
    for socket in (alice, bob):
        offered = await receive_type(socket, "chat.offered")
        assert offered["chat_id"] == chat.pk and offered["visitor"]["name"] == "Vera"

    visitor = await visitor_socket(chat)
    await alice.send_json_to({"type": "chat.accept", "chat_id": chat.pk})
    accepted = await receive_type(alice, "chat.accepted")
    assert accepted["agent"] == {"id": agent.pk, "name": "Alice"}
    assert (await receive_type(visitor, "chat.accepted"))["agent"]["name"] == "Alice"
    assert (await receive_type(bob, "chat.offer_withdrawn"))["chat_id"] == chat.pk
    await bob.send_json_to({"type": "chat.accept", "chat_id": chat.pk})
    assert (await receive_type(bob, "error"))["code"] == "already_accepted"

    for i in range(100):
        await visitor.send_json_to({"type": "message.send", "body": f"v{i}", "client_id": f"v{i}"})
        await alice.send_json_to({"type": "message.send", "chat_id": chat.pk, "body": f"a{i}", "client_id": f"a{i}"})
    for socket in (visitor, alice):
        received = [await receive_type(socket, "message") for _ in range(200)]
        seqs = [frame["seq"] for frame in received]
        assert seqs == list(range(1, 201))
        bodies = [frame["body"] for frame in received]
        assert [b for b in bodies if b[0] == "v"] == [f"v{i}" for i in range(100)]
        assert [b for b in bodies if b[0] == "a"] == [f"a{i}" for i in range(100)]
    assert await count_messages(chat) == 200
    for socket in (alice, bob, visitor):
        await socket.disconnect()


async def test_reconnect_with_after_seq_replays_exactly_the_missing_ones(active_chat):
    visitor = await visitor_socket(active_chat)
    for i in range(5):
        await visitor.send_json_to({"type": "message.send", "body": f"m{i}", "client_id": f"m{i}"})
        await receive_type(visitor, "message")
    await visitor.disconnect()

    again = await visitor_socket(active_chat, after_seq=2)
    replay = [await again.receive_json_from(timeout=5) for _ in range(3)]
    assert [(f["type"], f["seq"], f["body"]) for f in replay] == [
        ("message", 3, "m2"),
        ("message", 4, "m3"),
        ("message", 5, "m4"),
    ]
    await again.send_json_to({"type": "message.send", "body": "live", "client_id": "live"})
    assert (await next_frame(again, "message"))["seq"] == 6  # nothing came between the replay and it
    await again.disconnect()


async def test_resent_client_id_is_stored_once_and_answered_to_the_sender(active_chat, agent):
    visitor, alice = await visitor_socket(active_chat), await agent_socket(agent)
    frame = {"type": "message.send", "body": "only once", "client_id": "dup-1"}
    await visitor.send_json_to(frame)
    first = await receive_type(visitor, "message")
    await visitor.send_json_to(frame)
    second = await receive_type(visitor, "message")
    assert first == second
    assert (await receive_type(alice, "message"))["client_id"] == "dup-1"
    assert await count_messages(active_chat) == 1
    await visitor.send_json_to({"type": "message.send", "body": "and then", "client_id": "dup-2"})
    assert (await next_frame(alice, "message"))["client_id"] == "dup-2"  # the agent saw dup-1 once
    await visitor.disconnect()
    await alice.disconnect()


async def test_typing_reaches_the_other_side_only(active_chat, agent):
    visitor, alice = await visitor_socket(active_chat), await agent_socket(agent)
    await visitor.send_json_to({"type": "typing"})
    typing = await receive_type(alice, "typing")
    assert typing["chat_id"] == active_chat.pk and typing["sender"]["kind"] == "visitor"
    await alice.send_json_to({"type": "typing", "chat_id": active_chat.pk})
    # The first frame the visitor gets is Alice's typing: its own never came back to it.
    assert (await next_frame(visitor, "typing"))["sender"] == {"kind": "agent", "name": "Alice"}
    await visitor.disconnect()
    await alice.disconnect()


async def test_scheduled_end_and_cancel_reach_both_sides(active_chat, agent):
    visitor, alice = await visitor_socket(active_chat), await agent_socket(agent)
    await alice.send_json_to({"type": "chat.end", "chat_id": active_chat.pk, "delay_seconds": 30})
    for socket in (visitor, alice):
        assert (await receive_type(socket, "chat.ending"))["ends_at"]
    await alice.send_json_to({"type": "chat.cancel_end", "chat_id": active_chat.pk})
    for socket in (visitor, alice):
        assert (await receive_type(socket, "chat.end_cancelled"))["chat_id"] == active_chat.pk
    await alice.send_json_to({"type": "chat.end", "chat_id": active_chat.pk, "delay_seconds": 0})
    for socket in (visitor, alice):
        ended = await receive_type(socket, "chat.ended")
        assert ended["ticket_id"]
    await visitor.send_json_to({"type": "message.send", "body": "late", "client_id": "late"})
    assert (await receive_type(visitor, "error"))["code"] == "chat_closed"
    await visitor.disconnect()
    await alice.disconnect()


async def test_visitor_ending_a_waiting_chat_makes_it_missed(sales, agent):
    chat = await database_sync_to_async(ChatFactory)(department=sales)
    visitor = await visitor_socket(chat)
    await visitor.send_json_to({"type": "chat.end"})
    missed = await receive_type(visitor, "chat.missed")
    assert missed["chat_id"] == chat.pk and missed["ticket_id"]
    await visitor.disconnect()


async def test_offline_agent_gets_no_offer_and_going_online_brings_waiting_chats(sales, agent):
    from chat.services import agent_update_chat_settings

    offline = await database_sync_to_async(AgentFactory)(departments=[sales], chat_status="offline")
    socket, online_socket = await agent_socket(offline), await agent_socket(agent)
    chat, _ = await database_sync_to_async(services.chat_start)(
        name="Vera", email="vera@example.org", question="Hi?", department=sales, facts=visitor_facts()
    )
    assert (await receive_type(online_socket, "chat.offered"))["chat_id"] == chat.pk
    assert await frames_before_marker(socket, offline) == []  # offered to the Online agent, not to this one
    await database_sync_to_async(agent_update_chat_settings)(actor=offline, chat_status="online")
    assert (await receive_type(socket, "chat.offered"))["chat_id"] == chat.pk
    await socket.disconnect()
    await online_socket.disconnect()


async def test_pending_transfer_is_shown_again_when_the_socket_reconnects(active_chat, agent, other_agent):

    transfer = await database_sync_to_async(services.transfer_request)(
        chat_id=active_chat.pk, actor=agent, to_agent_id=other_agent.pk, note="please"
    )
    bob = await agent_socket(other_agent)
    requested = await receive_type(bob, "transfer.requested")
    assert (requested["transfer_id"], requested["note"]) == (transfer.pk, "please")
    await bob.disconnect()
