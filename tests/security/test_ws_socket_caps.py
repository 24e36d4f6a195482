"""Caps on open websockets per visitor token, per agent and per client address: over one, the new
socket is closed with 4429; the count is shared through Redis by every server process, and the
sockets of a process that died stop counting."""

import asyncio
import time

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from chat.consumers import sockets as ws_sockets
from chat.models import Chat
from helpdesk.asgi import application
from tests.factories import ChatFactory, accepted_chat
from tests.support.sockets import HOST, ORIGIN, agent_socket, assert_closed_with, close_code_or_open, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_caps_but_the_tests(settings):
    settings.WS_MAX_SOCKETS_PER_VISITOR = settings.WS_MAX_SOCKETS_PER_AGENT = settings.WS_MAX_SOCKETS_PER_IP = 0


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    yield client
    client.close()


async def open_socket(path: str, ip: str | None = None) -> tuple[WebsocketCommunicator, int | None]:
    """The socket and its close code, None while it stays open."""
    communicator = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN])
    if ip is not None:
        communicator.scope["client"] = (ip, 50000)
    assert (await communicator.connect(timeout=5))[0]
    return communicator, await close_code_or_open(communicator)


def visitor_path(chat) -> str:
    return f"/ws/visitor/chats/{chat.pk}/?token={chat.token}"


@pytest.fixture
def chat(agent):
    return accepted_chat(agent=agent)


async def test_one_visitor_token_opens_at_most_the_cap(settings, chat):
    settings.WS_MAX_SOCKETS_PER_VISITOR = 2
    first, code1 = await open_socket(visitor_path(chat))
    second, code2 = await open_socket(visitor_path(chat))
    third, code3 = await open_socket(visitor_path(chat))
    assert (code1, code2, code3) == (None, None, 4429)
    await first.disconnect()
    fourth, code4 = await open_socket(visitor_path(chat))  # a closed socket frees its place at once
    assert code4 is None
    await fourth.send_json_to({"type": "message.send", "body": "works", "client_id": "v1"})
    assert (await receive_type(fourth, "message"))["body"] == "works"
    for socket in (second, fourth):
        await socket.disconnect()


async def test_one_agent_opens_at_most_the_cap(settings, agent, other_agent):
    settings.WS_MAX_SOCKETS_PER_AGENT = 2
    tabs = [await agent_socket(agent), await agent_socket(agent)]
    refused = WebsocketCommunicator(application, f"/ws/agent/?token={agent.api_key}", headers=[HOST, ORIGIN])
    assert (await refused.connect(timeout=5))[0]
    await assert_closed_with(refused, 4429)
    bob = await agent_socket(other_agent)  # another agent has a count of their own
    assert await close_code_or_open(bob) is None
    for socket in (*tabs, bob):
        await socket.disconnect()


async def test_one_address_opens_at_most_the_cap_over_both_endpoints(settings, sales, agent):
    settings.WS_MAX_SOCKETS_PER_IP = 2
    chats = [await database_sync_to_async(ChatFactory)(department=sales) for _ in range(2)]
    first, code1 = await open_socket(visitor_path(chats[0]), ip="203.0.113.7")
    second, code2 = await open_socket(f"/ws/agent/?token={agent.api_key}", ip="203.0.113.7")
    third, code3 = await open_socket(visitor_path(chats[1]), ip="203.0.113.7")
    elsewhere, code4 = await open_socket(visitor_path(chats[1]), ip="198.51.100.1")
    assert (code1, code2, code3, code4) == (None, None, 4429, None)
    for socket in (first, second, elsewhere):
        await socket.disconnect()


async def test_sockets_of_other_processes_count_until_their_process_stops_vouching(settings, chat, redis_client):
    """Another server process's socket is a member of the same Redis set: counted while its
    process refreshes it, dropped once it is STALE_BEATS heartbeats old (the process died)."""
    settings.WS_MAX_SOCKETS_PER_VISITOR = 1
    token_hash = await database_sync_to_async(lambda: Chat.objects.get(pk=chat.pk).visitor_token_hash)()
    key = ws_sockets._key("visitor", token_hash)
    redis_client.zadd(key, {"specific.other-process!1": time.time()})
    socket, code = await open_socket(visitor_path(chat))
    assert code == 4429
    beat = django_settings.WS_SOCKET_HEARTBEAT_SECONDS
    redis_client.zadd(key, {"specific.other-process!1": time.time() - ws_sockets.STALE_BEATS * beat - 1})
    socket, code = await open_socket(visitor_path(chat))
    assert code is None
    assert redis_client.zscore(key, "specific.other-process!1") is None  # pruned
    await socket.disconnect()
    assert redis_client.zcard(key) == 0


async def test_each_process_vouches_for_its_open_sockets(settings, chat, redis_client):
    settings.WS_MAX_SOCKETS_PER_VISITOR = 5
    settings.WS_SOCKET_HEARTBEAT_SECONDS = 0.2
    token_hash = await database_sync_to_async(lambda: Chat.objects.get(pk=chat.pk).visitor_token_hash)()
    key = ws_sockets._key("visitor", token_hash)
    socket, _ = await open_socket(visitor_path(chat))
    ((member, first_score),) = redis_client.zrange(key, 0, -1, withscores=True)
    await asyncio.sleep(0.7)  # more than STALE_BEATS beats: it would be stale without a refresh
    assert redis_client.zscore(key, member) > first_score + 0.3
    assert 0 < redis_client.ttl(key) <= ws_sockets.STALE_BEATS * 0.2 + 2
    other, code = await open_socket(visitor_path(chat))
    assert code is None and redis_client.zcard(key) == 2  # the first one still counts
    for s in (socket, other):
        await s.disconnect()


async def test_without_redis_sockets_are_let_in(settings, chat):
    settings.WS_MAX_SOCKETS_PER_VISITOR = 1
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there; the channel layer is already built
    sockets = [await open_socket(visitor_path(chat)) for _ in range(2)]
    assert [code for _, code in sockets] == [None, None]
    for socket, _ in sockets:
        await socket.disconnect()
