"""The whole flow through a live Daphne server, a real websocket client and a real Celery
worker: visitor starts → offer → Accept → messages both ways → End Session after 1 s →
transcript ticket in Chat Transcripts."""

import asyncio
import json

import pytest
import websockets

from tests.factories import AgentFactory
from tests.support.chat_clients import http

pytestmark = pytest.mark.django_db(transaction=True)


async def next_of(socket, frame_type: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type:
                return frame


@pytest.fixture
def agent_token(sales):
    agent = AgentFactory(display_name="Alice", departments=[sales])
    return agent.api_key


async def test_visitor_and_agent_chat_end_to_end(daphne_server, celery_worker, agent_token):
    base, ws = daphne_server.url, daphne_server.ws_url
    async with websockets.connect(f"{ws}/ws/agent/?token={agent_token}") as agent:
        status, started = await asyncio.to_thread(
            http,
            "POST",
            f"{base}/api/v1/visitor/chats/",
            {"name": "Vera", "email": "vera@example.org", "question": "Can I change my plan?", "department": "sales"},
        )
        assert status == 201, started
        chat_id = started["chat_id"]
        assert started["ws_url"].startswith(ws)

        offered = await next_of(agent, "chat.offered")
        assert offered["chat_id"] == chat_id and offered["question"] == "Can I change my plan?"

        async with websockets.connect(started["ws_url"]) as visitor:
            await agent.send(json.dumps({"type": "chat.accept", "chat_id": chat_id}))
            assert (await next_of(visitor, "chat.accepted"))["agent"]["name"] == "Alice"
            await next_of(agent, "chat.accepted")

            await visitor.send(json.dumps({"type": "message.send", "body": "Hello!", "client_id": "v1"}))
            got = await next_of(agent, "message")
            assert (got["seq"], got["body"], got["sender"]["kind"]) == (1, "Hello!", "visitor")
            await agent.send(
                json.dumps({"type": "message.send", "chat_id": chat_id, "body": "Hi Vera", "client_id": "a1"})
            )
            echo = await next_of(visitor, "message")  # the visitor's own message comes back first
            assert (echo["seq"], echo["client_id"]) == (1, "v1")
            got = await next_of(visitor, "message")
            assert (got["seq"], got["body"], got["sender"]) == (2, "Hi Vera", {"kind": "agent", "name": "Alice"})

            await agent.send(json.dumps({"type": "chat.end", "chat_id": chat_id, "delay_seconds": 1}))
            assert (await next_of(visitor, "chat.ending"))["ends_at"]
            ended = await next_of(visitor, "chat.ended")  # written by the Celery worker
            assert (await next_of(agent, "chat.ended")) == ended

    status, transcripts = await asyncio.to_thread(
        http, "GET", f"{base}/api/v1/tickets/?view=chat-transcripts", token=agent_token
    )
    assert status == 200
    assert [t["id"] for t in transcripts["results"]] == [ended["ticket_id"]]
    status, ticket = await asyncio.to_thread(
        http, "GET", f"{base}/api/v1/tickets/{ended['ticket_id']}/", token=agent_token
    )
    assert [entry["body"] for entry in ticket["thread"]] == ["Can I change my plan?", "Hello!", "Hi Vera"]
