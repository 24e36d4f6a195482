"""Rate limits on websocket frames: over a limit a frame is answered with `throttled` and a
`retry_after`, nothing is stored or relayed, and the socket stays open."""

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from chat.consumers import throttle as ws_throttle
from helpdesk.asgi import application
from helpdesk.platform.throttles import parse_rate
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tests.support.sockets import HOST, ORIGIN, agent_socket, count_messages, next_frame, receive_type, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    """No counts left from an earlier run, and no limits but the ones a test sets."""
    settings.WS_RATE_VISITOR = settings.WS_RATE_AGENT = settings.WS_RATE_IP = ""
    settings.WS_FRAME_RATE_VISITOR = settings.WS_FRAME_RATE_AGENT = settings.WS_FRAME_RATE_IP = ""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    for key in client.scan_iter(f"{ws_throttle.key_prefix()}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def active_chat(agent):
    return accepted_chat(agent=agent)


def from_address(communicator, ip: str):
    communicator.scope["client"] = (ip, 50000)  # read when the application first runs
    return communicator


async def test_visitor_over_the_limit_is_told_when_to_retry_and_nothing_is_stored(settings, agent, active_chat):
    settings.WS_RATE_VISITOR = "3/min"
    visitor, alice = await visitor_socket(active_chat), await agent_socket(agent)
    for i in range(3):
        await visitor.send_json_to({"type": "message.send", "body": f"hi {i}", "client_id": f"v{i}"})
        assert (await receive_type(visitor, "message"))["seq"] == i + 1
    await visitor.send_json_to({"type": "message.send", "body": "one too many", "client_id": "v3"})
    error = await receive_type(visitor, "error")
    assert error["code"] == "throttled" and error["for_type"] == "message.send" and error["client_id"] == "v3"
    assert isinstance(error["retry_after"], int) and 1 <= error["retry_after"] <= 60
    await visitor.send_json_to({"type": "typing"})
    assert (await receive_type(visitor, "error"))["code"] == "throttled"
    assert await count_messages(active_chat) == 3
    for _ in range(3):
        assert (await receive_type(alice, "message"))["body"].startswith("hi ")

    settings.WS_RATE_VISITOR = ""  # the same socket is still open and usable
    await visitor.send_json_to({"type": "message.send", "body": "later", "client_id": "v4"})
    assert (await receive_type(visitor, "message"))["seq"] == 4
    # Alice's next frame is that one: neither the fourth message nor the typing came before it.
    assert (await next_frame(alice, "message"))["client_id"] == "v4"
    await visitor.disconnect()
    await alice.disconnect()


async def test_agent_limit_counts_every_socket_of_the_agent_and_no_one_else(settings, sales, agent, active_chat):
    settings.WS_RATE_AGENT = "2/min"
    bob = await database_sync_to_async(AgentFactory)(departments=[sales])
    bobs_chat = await database_sync_to_async(accepted_chat)(agent=bob)
    tab1, tab2, bob_socket = await agent_socket(agent), await agent_socket(agent), await agent_socket(bob)
    await tab1.send_json_to({"type": "message.send", "chat_id": active_chat.pk, "body": "a", "client_id": "a1"})
    await receive_type(tab1, "message")
    await tab2.send_json_to({"type": "typing", "chat_id": active_chat.pk})
    await tab2.send_json_to({"type": "message.send", "chat_id": active_chat.pk, "body": "b", "client_id": "a2"})
    error = await receive_type(tab2, "error")
    assert (error["code"], error["chat_id"], error["client_id"]) == ("throttled", active_chat.pk, "a2")
    assert await count_messages(active_chat) == 1
    for i in range(2):
        await bob_socket.send_json_to(
            {"type": "message.send", "chat_id": bobs_chat.pk, "body": "x", "client_id": f"b{i}"}
        )
        assert (await receive_type(bob_socket, "message"))["client_id"] == f"b{i}"
    for socket in (tab1, tab2, bob_socket):
        await socket.disconnect()


async def test_one_address_is_limited_across_chats(settings, sales):
    settings.WS_RATE_IP = "2/min"
    chats = [await database_sync_to_async(ChatFactory)(department=sales) for _ in range(3)]
    path = "/ws/visitor/chats/{}/?token={}"

    async def open_from(chat, ip):
        communicator = WebsocketCommunicator(application, path.format(chat.pk, chat.token), headers=[HOST, ORIGIN])
        assert (await from_address(communicator, ip).connect(timeout=5))[0]
        return communicator

    first, second = await open_from(chats[0], "203.0.113.5"), await open_from(chats[1], "203.0.113.5")
    elsewhere = await open_from(chats[2], "198.51.100.7")
    await first.send_json_to({"type": "message.send", "body": "one"})
    await receive_type(first, "message")
    await second.send_json_to({"type": "message.send", "body": "two"})
    await receive_type(second, "message")
    await second.send_json_to({"type": "message.send", "body": "three"})
    assert (await receive_type(second, "error"))["code"] == "throttled"
    await elsewhere.send_json_to({"type": "message.send", "body": "other address"})
    assert (await receive_type(elsewhere, "message"))["body"] == "other address"
    for socket in (first, second, elsewhere):
        await socket.disconnect()


async def test_without_redis_frames_pass(settings, active_chat):
    settings.WS_RATE_VISITOR = "1/min"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there; the channel layer is already built
    visitor = await visitor_socket(active_chat)
    for i in range(2):
        await visitor.send_json_to({"type": "message.send", "body": f"m{i}"})
        assert (await receive_type(visitor, "message"))["body"] == f"m{i}"
    await visitor.disconnect()


def test_client_address_follows_the_trusted_proxy_rule(settings):
    scope = {"client": ("10.0.0.2", 1234), "headers": [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.9")]}
    settings.TRUSTED_PROXY_COUNT = 0
    assert ws_throttle.scope_client_ip(scope) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert ws_throttle.scope_client_ip(scope) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 0
    ipv6 = {"client": ("2001:db8:1:2:aaaa::1", 1), "headers": []}
    assert ws_throttle.scope_client_ip(ipv6) == "2001:db8:1:2::"  # one /64, one client
    assert ws_throttle.scope_client_ip({"headers": []}) is None


@pytest.mark.parametrize("rate, parsed", [("120/min", (120, 60)), ("5/s", (5, 1)), ("1000/hour", (1000, 3600))])
def test_rates_are_read_as_drf_reads_them(rate, parsed):
    assert parse_rate(rate) == parsed


async def test_every_frame_counts_whatever_its_type(settings, agent, active_chat):
    """Not only messages: malformed, unknown and other valid frames cost the server work too."""
    settings.WS_FRAME_RATE_VISITOR = "3/min"
    visitor = await visitor_socket(active_chat)
    for text, code in [("{not json", "invalid_json"), ('{"type": "dance"}', "unknown_type"), ("[]", "invalid")]:
        await visitor.send_to(text_data=text)
        assert (await receive_type(visitor, "error"))["code"] == code
    await visitor.send_json_to({"type": "message.send", "body": "fourth", "client_id": "v4"})
    error = await receive_type(visitor, "error")
    assert (error["code"], error["for_type"], error["client_id"]) == ("throttled", "message.send", "v4")
    await visitor.send_to(text_data="{not json")
    error = await receive_type(visitor, "error")
    assert error["code"] == "throttled" and "for_type" not in error  # nothing of the frame echoed
    assert await count_messages(active_chat) == 0
    await visitor.disconnect()

    settings.WS_FRAME_RATE_AGENT = "2/min"
    alice = await agent_socket(agent)
    for _ in range(2):
        await alice.send_json_to({"type": "chat.cancel_end", "chat_id": active_chat.pk})
        assert (await receive_type(alice, "error"))["code"] == "not_ending"
    await alice.send_json_to({"type": "chat.end", "chat_id": active_chat.pk, "delay_seconds": 0})
    error = await receive_type(alice, "error")
    assert (error["code"], error["for_type"], error["chat_id"]) == ("throttled", "chat.end", active_chat.pk)
    await alice.disconnect()
    status = await database_sync_to_async(lambda: type(active_chat).objects.get(pk=active_chat.pk).status)()
    assert status == "active"  # the throttled end did nothing


async def test_every_frame_from_one_address_counts_across_sockets(settings, sales):
    settings.WS_FRAME_RATE_IP = "2/min"
    chats = [await database_sync_to_async(ChatFactory)(department=sales) for _ in range(2)]
    sockets = []
    for chat in chats:
        communicator = WebsocketCommunicator(
            application, f"/ws/visitor/chats/{chat.pk}/?token={chat.token}", headers=[HOST, ORIGIN]
        )
        assert (await from_address(communicator, "203.0.113.8").connect(timeout=5))[0]
        sockets.append(communicator)
    for socket in sockets:
        await socket.send_json_to({"type": "dance"})
        assert (await receive_type(socket, "error"))["code"] == "unknown_type"
    await sockets[0].send_json_to({"type": "dance"})
    assert (await receive_type(sockets[0], "error"))["code"] == "throttled"
    for socket in sockets:
        await socket.disconnect()
