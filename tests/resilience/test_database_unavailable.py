"""The database taken away from a running Daphne: the API answers 503 JSON, frames get an
`error` with code `unavailable` on a socket that stays open, new sockets close with 4503; no
stack trace reaches a client. When the database is back, re-sent frames go through."""

import asyncio
import json

import pytest

from helpdesk.platform.errors import UNAVAILABLE_DETAIL
from tests.support.chat_clients import AgentSide, VisitorSide, as_rows, close_code_of, fetch, stored_conversation
from tests.support.processes import daphne_process

pytestmark = pytest.mark.django_db(transaction=True)

UNAVAILABLE = {"code": "unavailable", "detail": UNAVAILABLE_DETAIL}


async def error_frame(side, for_type: str) -> dict:
    await side.wait_for(lambda: any(f["type"] == "error" for f in side.other_frames), what="an error frame")
    frame = next(f for f in side.other_frames if f["type"] == "error")
    side.other_frames.remove(frame)
    assert frame["for_type"] == for_type, frame
    return frame


async def test_database_unavailable_answers_503_and_unavailable_frames(switchable_database, managed, chat, api_token):
    # Each request waits DATABASE_POOL_TIMEOUT for a connection before its 503: short here.
    server = daphne_process(**switchable_database.server_env, DATABASE_POOL_TIMEOUT=2)
    managed(server)
    await asyncio.to_thread(server.start)
    visitor = VisitorSide(server, chat.pk, chat.token)
    alice = AgentSide(server, chat.pk, api_token)
    await visitor.connect()
    await alice.connect()
    await visitor.send("Hello", "v-1")
    await alice.wait_for_seq(1)

    await asyncio.to_thread(switchable_database.take_away)

    # REST: 503 with the API's error shape, for a signed-in agent and for the public endpoint.
    messages_url = f"{server.url}/api/v1/chats/{chat.pk}/messages/"
    start = {"name": "Nora", "email": "nora@example.org", "question": "Anyone?"}
    for method, url, payload, token in [
        ("GET", messages_url, None, api_token),
        ("POST", messages_url, {"body": "Over REST", "client_id": "a-rest"}, api_token),
        ("POST", f"{server.url}/api/v1/visitor/chats/", start, None),
    ]:
        status, content_type, body = await asyncio.to_thread(fetch, method, url, payload, token)
        assert (status, content_type, json.loads(body)) == (503, "application/json", UNAVAILABLE), (method, url, body)
    # A page: a short 503 page, not Django's 500.
    status, content_type, body = await asyncio.to_thread(fetch, "GET", f"{server.url}/chat/")
    assert status == 503 and content_type.startswith("text/html") and "Service unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body

    # Open sockets: the frame is refused with `unavailable`, the socket stays open and usable.
    await visitor.send("Are you there?", "v-2")
    frame = await error_frame(visitor, "message.send")
    assert (frame["code"], frame["detail"], frame["client_id"]) == ("unavailable", UNAVAILABLE_DETAIL, "v-2")
    await alice.send("Yes", "a-1")
    frame = await error_frame(alice, "message.send")
    assert (frame["code"], frame["chat_id"], frame["client_id"]) == ("unavailable", chat.pk, "a-1")
    await visitor.send_frame({"type": "typing"})  # needs no database
    await alice.wait_for(lambda: any(f["type"] == "typing" for f in alice.other_frames), what="typing")
    assert visitor.is_open and alice.is_open

    # New sockets are accepted and closed at once with 4503, visitor and agent alike.
    assert await close_code_of(visitor.url()) == 4503
    assert await close_code_of(alice.url()) == 4503

    await asyncio.to_thread(switchable_database.restore)
    # The clients re-send what was refused, with the same client_id: stored once, heard by both.
    for side in (visitor, alice):
        for client_id, body in list(side.unconfirmed.items()):
            await side.send(body, client_id)
    await visitor.wait_for_seq(3)
    await alice.wait_for_seq(3)
    stored = await stored_conversation(chat.pk)
    assert [row[3] for row in stored] == ["v-1", "v-2", "a-1"] or [row[3] for row in stored] == ["v-1", "a-1", "v-2"]
    assert as_rows(visitor.conversation) == stored == as_rows(alice.conversation)
    await visitor.disconnect()
    await alice.disconnect()
