"""The live monitor on the agent socket (docs/protocol.md, "Live monitor"): a manager's socket
that subscribes gets `monitor.state` and then every change; a plain agent's socket is refused and
hears nothing; a manager watches a chat read-only, live, without taking part."""

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Chat
from helpdesk.actors import ChatVisitor
from tests.factories import ChatFactory, accepted_chat
from tests.support.managers import make_manager
from tests.support.sockets import (
    agent_socket,
    frames_before_marker,
    next_frame,
    probe,
    receive_type,
    visitor_facts,
    visitor_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager(db):
    return make_manager()


def start_chat(department):
    chat, token = services.chat_start(
        name="Vera", email="vera@example.org", question="Refund?", department=department, facts=visitor_facts()
    )
    chat.token = token
    return chat


async def subscribed(agent) -> object:
    socket = await agent_socket(agent)
    await socket.send_json_to({"type": "monitor.subscribe"})
    return socket


async def test_a_managers_socket_gets_the_state_then_every_change(sales, agent, manager):
    earlier = await database_sync_to_async(accepted_chat)(agent=agent, department=sales)
    socket = await subscribed(manager)
    state = await next_frame(socket, "monitor.state")
    assert state["waiting"] == [] and [chat["id"] for chat in state["active"]] == [earlier.pk]
    assert {row["name"]: row["active_chats"] for row in state["agents"]} == {"Alice": 1, "Mia": 0}

    chat = await database_sync_to_async(start_chat)(sales)
    started = await receive_type(socket, "monitor.chat")
    assert (started["chat"]["id"], started["chat"]["status"], started["chat"]["visitor"]["name"]) == (
        chat.pk,
        "waiting",
        "Vera",
    )
    await database_sync_to_async(services.chat_accept)(actor=agent, chat_id=chat.pk)
    accepted = await receive_type(socket, "monitor.chat")
    assert (accepted["chat"]["status"], accepted["chat"]["owner"]["name"]) == ("active", "Alice")
    alice = await receive_type(socket, "monitor.agent")
    assert (alice["agent"]["name"], alice["agent"]["active_chats"], alice["agent"]["max_chats"]) == ("Alice", 2, 5)
    await database_sync_to_async(services.agent_set_chat_status)(
        actor=manager, agent_id=agent.pk, chat_status="offline"
    )
    offline = await receive_type(socket, "monitor.agent")
    assert (offline["agent"]["chat_status"], offline["agent"]["presence"]) == ("offline", "offline")
    # The manager's other sockets (any page without the monitor) hear none of it.
    elsewhere = await agent_socket(manager)
    await database_sync_to_async(start_chat)(sales)
    assert [f["type"] for f in await frames_before_marker(elsewhere, manager)] == []
    await elsewhere.disconnect()
    await socket.disconnect()


async def test_a_plain_agents_socket_is_refused_and_hears_nothing(sales, agent, other_agent):
    socket = await subscribed(agent)
    error = await receive_type(socket, "error")
    assert (error["code"], error["for_type"]) == ("not_allowed", "monitor.subscribe")
    chat = await database_sync_to_async(start_chat)(sales)
    await database_sync_to_async(services.chat_accept)(actor=other_agent, chat_id=chat.pk)
    await database_sync_to_async(services.agent_update_chat_settings)(actor=other_agent, chat_status="offline")
    heard = [f["type"] for f in await frames_before_marker(socket, agent)]
    assert heard and not [frame_type for frame_type in heard if frame_type.startswith("monitor.")], heard
    await socket.send_json_to({"type": "monitor.watch", "chat_id": chat.pk})
    error = await receive_type(socket, "error")
    assert (error["code"], error["for_type"], error["chat_id"]) == ("not_allowed", "monitor.watch", chat.pk)
    await socket.disconnect()


async def test_a_manager_watches_a_chat_read_only_and_live(sales, support, agent, manager):
    # Support's chat: a manager watches any department's.
    chat = await database_sync_to_async(accepted_chat)(agent=agent, department=support)
    vera = ChatVisitor.of(chat)
    await database_sync_to_async(services.message_post)(actor=vera, chat_id=chat.pk, body="First")
    visitor = await visitor_socket(chat, after_seq=1)
    alice = await agent_socket(agent)
    socket = await agent_socket(manager)

    await socket.send_json_to({"type": "monitor.watch", "chat_id": chat.pk})
    watching = await next_frame(socket, "monitor.watching")
    assert (watching["chat_id"], watching["chat"]["owner"]["name"], watching["chat"]["status"]) == (
        chat.pk,
        "Alice",
        "active",
    )
    assert (await next_frame(socket, "message"))["body"] == "First"  # the replay
    await visitor.send_json_to({"type": "message.send", "body": "Second", "client_id": "v2"})
    second = await receive_type(socket, "message")
    assert (second["seq"], second["body"]) == (2, "Second")
    await alice.send_json_to({"type": "typing", "chat_id": chat.pk})
    assert (await receive_type(socket, "typing"))["sender"]["name"] == "Alice"

    # Read-only: the watcher neither types nor writes in the conversation.
    await socket.send_json_to({"type": "typing", "chat_id": chat.pk})
    assert (await receive_type(socket, "error"))["code"] == "not_allowed"
    await socket.send_json_to({"type": "message.send", "chat_id": chat.pk, "body": "Hi", "client_id": "m1"})
    assert (await receive_type(socket, "error"))["code"] in {"not_allowed", "not_found"}
    # The visitor heard only their own message and Alice typing: nothing of the watcher.
    heard = await probe(visitor)
    assert [(f["type"], f.get("body")) for f in heard] == [("message", "Second"), ("typing", None)]
    assert await database_sync_to_async(lambda: list(Chat.objects.get(pk=chat.pk).participants.all()))() == [agent]

    # Stop watching: nothing more comes; watching again replays from after_seq.
    await socket.send_json_to({"type": "monitor.unwatch", "chat_id": chat.pk})
    assert await probe(socket) == []
    await database_sync_to_async(services.message_post)(actor=vera, chat_id=chat.pk, body="Third")
    assert [f["type"] for f in await frames_before_marker(socket, manager)] == []
    await socket.send_json_to({"type": "monitor.watch", "chat_id": chat.pk, "after_seq": 2})
    await next_frame(socket, "monitor.watching")
    assert [(f["seq"], f["body"]) for f in [await next_frame(socket, "message")]] == [(3, "Third")]
    assert await probe(socket) == []

    await database_sync_to_async(services.chat_end)(actor=agent, chat_id=chat.pk)
    assert (await receive_type(socket, "chat.ended"))["chat_id"] == chat.pk
    for client in (visitor, alice, socket):
        await client.disconnect()


async def test_watching_needs_an_open_chat_and_a_proper_after_seq(agent, manager):
    ended = await database_sync_to_async(accepted_chat)(agent=agent, status=Chat.Status.ENDED)
    waiting = await database_sync_to_async(ChatFactory)()
    socket = await agent_socket(manager)
    cases = [
        ({"chat_id": ended.pk}, "chat_closed"),
        ({"chat_id": 999999}, "not_found"),
        ({"chat_id": "7"}, "invalid"),
        ({"chat_id": waiting.pk, "after_seq": -1}, "invalid"),
        ({"chat_id": waiting.pk, "after_seq": True}, "invalid"),
    ]
    for fields, code in cases:
        await socket.send_json_to({"type": "monitor.watch", **fields})
        assert (await receive_type(socket, "error"))["code"] == code, fields
    await socket.send_json_to({"type": "monitor.watch", "chat_id": waiting.pk})  # a waiting chat can be watched
    assert (await next_frame(socket, "monitor.watching"))["chat"]["status"] == "waiting"
    await socket.disconnect()
