"""Oversized websocket frames and REST bodies: a clear error, nothing changed."""

import json

import pytest
import websockets
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from chat.models import Chat, Message
from tests.factories import ChatFactory, accepted_chat
from tests.support.api import api_client_for
from tests.support.sockets import receive_type, visitor_socket
from tickets.models import Ticket


def _big_json(size: int, **fields) -> str:
    return json.dumps({**fields, "padding": "x" * size})


@pytest.mark.django_db
def test_rest_body_over_the_upload_limit_is_413_json_and_creates_nothing(settings):
    settings.API_RATE_VISITOR = ""
    body = _big_json(django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE, name="V", email="v@example.org", question="Hi")
    response = APIClient().generic("POST", "/api/v1/visitor/chats/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "detail": f"The request body is larger than {django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
    }
    assert Chat.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/api/v1/chats/{chat}/messages/"),
        ("POST", "/api/v1/chats/{chat}/end/"),
        ("PATCH", "/api/v1/agents/me/"),
        ("PATCH", "/api/v1/tickets/{ticket}/"),
        ("POST", "/api/v1/tickets/{ticket}/comments/"),
        ("POST", "/api/v1/canned-messages/"),
    ],
)
def test_agent_endpoints_refuse_oversized_bodies(settings, agent, method, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000  # the same check, with less to send
    agent.user.user_permissions.add(Permission.objects.get(codename="add_cannedmessage"))
    chat = accepted_chat(agent=agent, department=agent.departments.first())
    ticket = Ticket.objects.create(subject="s", requester_email="v@example.org", department=chat.department)
    before = (Message.objects.count(), Chat.objects.get().status, Ticket.objects.get().status)
    body = _big_json(20_000, body="hello", status="closed", delay_seconds=0, text="canned", display_name="X")
    response = api_client_for(agent).generic(
        method, path.format(chat=chat.pk, ticket=ticket.pk), body, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (413, "too_large")
    assert (Message.objects.count(), Chat.objects.get().status, Ticket.objects.get().status) == before
    agent.refresh_from_db()
    assert agent.display_name == "Alice"


@pytest.mark.django_db(transaction=True)
async def test_websocket_body_over_the_message_limit_is_refused_and_the_socket_stays(agent):
    chat = await database_sync_to_async(accepted_chat)(agent=agent)
    visitor = await visitor_socket(chat)
    for body in ("x" * (django_settings.CHAT_MAX_MESSAGE_CHARS + 1), "é" * 400_000):  # ~10 KB and ~0.8 MB frames
        await visitor.send_json_to({"type": "message.send", "body": body, "client_id": "big"})
        error = await receive_type(visitor, "error")
        assert (error["code"], error["client_id"]) == ("message_too_long", "big")
    await visitor.send_json_to({"type": "message.send", "body": "small", "client_id": "small"})
    assert (await receive_type(visitor, "message"))["seq"] == 1
    assert await database_sync_to_async(Message.objects.count)() == 1
    await visitor.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_daphne_drops_a_socket_sending_more_than_one_mebibyte_and_serves_on(daphne_server, sales):
    """Daphne (autobahn, failByDrop) drops the TCP connection without a close frame."""
    chat = await database_sync_to_async(ChatFactory)(department=sales)
    url = f"{daphne_server.ws_url}/ws/visitor/chats/{chat.pk}/?token={chat.token}"
    async with websockets.connect(url, max_size=None) as socket:
        frame = json.dumps({"type": "message.send", "body": "x" * (1024 * 1024), "client_id": "huge"})
        await socket.send(frame)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:  # a waiting visitor is told their queue position on connecting; nothing else
                assert json.loads(await socket.recv())["type"] == "queue.position"
    assert closed.value.rcvd is None  # no close frame: the client sees 1006
    assert await database_sync_to_async(Message.objects.count)() == 0
    async with websockets.connect(url) as socket:  # the server itself is fine
        await socket.send(json.dumps({"type": "message.send", "body": "after", "client_id": "after"}))
        frame = json.loads(await socket.recv())
        while frame["type"] == "queue.position":
            frame = json.loads(await socket.recv())
        assert (frame["type"], frame["seq"]) == ("message", 1)
