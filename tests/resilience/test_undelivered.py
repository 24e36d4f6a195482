"""A frame whose result cannot be delivered (Redis is down when the service publishes after
commit) is answered with an `unavailable` error naming it, so the sender knows to send it again;
a `message.send` resent with its `client_id` then gets the stored message, stored once."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from redis.exceptions import ConnectionError as RedisConnectionError

from chat.models import Chat, Message
from tests.factories import ChatFactory
from tests.support.chat_clients import VisitorSide, stored_conversation, wait_stored
from tests.support.processes import daphne_process
from tests.support.sockets import agent_socket, next_frame, receive_type, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat_groups_unreachable(monkeypatch):
    """The channel layer cannot publish to chat groups, as while Redis is down; undo() heals it."""
    layer = get_channel_layer()
    real_group_send = layer.group_send

    async def group_send(group, message):
        if group.startswith("chat."):
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    return monkeypatch


async def test_sender_is_told_its_message_was_not_delivered_and_a_resend_is_stored_once(chat, chat_groups_unreachable):
    visitor = await visitor_socket(chat)
    await visitor.send_json_to({"type": "message.send", "body": "Anyone there?", "client_id": "v-1"})
    error = await receive_type(visitor, "error")
    assert {key: error[key] for key in ("code", "for_type", "client_id")} == {
        "code": "unavailable",
        "for_type": "message.send",
        "client_id": "v-1",
    }
    assert await database_sync_to_async(Message.objects.filter(chat_id=chat.pk, client_id="v-1").count)() == 1

    chat_groups_unreachable.undo()
    await visitor.send_json_to({"type": "message.send", "body": "Anyone there?", "client_id": "v-1"})
    message = await next_frame(visitor, "message")  # one error per frame: no second one before it
    assert (message["seq"], message["client_id"]) == (1, "v-1")
    assert await database_sync_to_async(Message.objects.filter(chat_id=chat.pk).count)() == 1
    await visitor.disconnect()


async def test_an_accept_whose_result_was_not_delivered_is_reported_too(sales, agent, chat_groups_unreachable):
    waiting = await database_sync_to_async(ChatFactory)(department=sales)
    alice = await agent_socket(agent)
    await alice.send_json_to({"type": "chat.accept", "chat_id": waiting.pk})
    error = await receive_type(alice, "error")
    assert (error["code"], error["for_type"], error["chat_id"]) == ("unavailable", "chat.accept", waiting.pk)
    status = await database_sync_to_async(lambda: Chat.objects.get(pk=waiting.pk).status)()
    assert status == Chat.Status.ACTIVE  # done, though not all of it was heard
    await alice.disconnect()


async def test_message_sent_while_redis_is_down_gets_unavailable_then_the_resend_is_confirmed(
    private_redis, managed, chat
):
    server = daphne_process(REDIS_URL=private_redis.url)
    managed(server)
    await asyncio.to_thread(server.start)
    visitor = VisitorSide(server, chat.pk, chat.token)
    await visitor.connect()
    await visitor.send("Hello", "v-1")
    await visitor.wait_for_seq(1)

    await asyncio.to_thread(private_redis.kill)
    await visitor.send("Still there?", "v-down")
    await wait_stored(chat.pk, 2)
    await visitor.wait_for(lambda: visitor.told_unavailable("v-down"), what="an unavailable error for v-down")
    assert visitor.last_seq == 1 and "v-down" in visitor.unconfirmed

    await asyncio.to_thread(private_redis.start)
    # As docs/protocol.md tells a client: send it again, same client_id, until it is confirmed.
    async with asyncio.timeout(15):
        while "v-down" in visitor.unconfirmed:
            await visitor.send("Still there?", "v-down")
            await asyncio.sleep(0.5)
    assert visitor.last_seq == 2
    assert [row[3] for row in await stored_conversation(chat.pk)] == ["v-1", "v-down"]
    await visitor.disconnect()
