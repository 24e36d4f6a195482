"""A visitor token expires with its chat: it still opens the closed chat for a while (a reload
or a reconnect at the very end), then neither the API nor the socket accepts it."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient

from chat import services
from chat.models import Chat
from helpdesk.actors import SYSTEM
from tests.factories import accepted_chat
from tests.support.sockets import assert_closed_with, connect, receive_type, visitor_facts

pytestmark = pytest.mark.django_db(transaction=True)

TTL = 600


@pytest.fixture
def ended_chat(agent, settings):
    settings.VISITOR_TOKEN_TTL_AFTER_END_SECONDS = TTL
    chat = accepted_chat(agent=agent)
    token = chat.token
    chat = services.chat_end(actor=agent, chat_id=chat.pk)
    chat.token = token
    return chat


def closed_ago(chat, seconds: int) -> None:
    Chat.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - timedelta(seconds=seconds))


def visitor_get(chat):
    return APIClient().get(f"/api/v1/visitor/chats/{chat.pk}/", HTTP_X_VISITOR_TOKEN=chat.token)


async def test_the_token_opens_the_closed_chat_until_its_time_is_up(ended_chat):
    response = await database_sync_to_async(visitor_get)(ended_chat)
    assert response.status_code == 200 and response.json()["status"] == "ended"
    socket = await connect(f"/ws/visitor/chats/{ended_chat.pk}/?token={ended_chat.token}")
    assert (await receive_type(socket, "chat.ended"))["chat_id"] == ended_chat.pk
    await socket.disconnect()

    await database_sync_to_async(closed_ago)(ended_chat, TTL + 1)
    response = await database_sync_to_async(visitor_get)(ended_chat)
    assert response.status_code == 401 and response.json()["code"] == "token_expired"
    socket = await connect(f"/ws/visitor/chats/{ended_chat.pk}/?token={ended_chat.token}")
    await assert_closed_with(socket, 4401)


async def test_a_missed_chat_token_expires_too(sales, settings):
    settings.VISITOR_TOKEN_TTL_AFTER_END_SECONDS = TTL

    def missed_chat_closed_long_ago():
        chat, token = services.chat_start(
            name="Vera", email="vera@example.org", question="Hi?", department=sales, facts=visitor_facts()
        )
        services.chat_end(actor=SYSTEM, chat_id=chat.pk)  # nobody accepted it: missed
        closed_ago(chat, TTL + 1)
        chat.token = token
        return chat

    chat = await database_sync_to_async(missed_chat_closed_long_ago)()
    assert (await database_sync_to_async(Chat.objects.get)(pk=chat.pk)).status == Chat.Status.MISSED
    response = await database_sync_to_async(visitor_get)(chat)
    assert response.status_code == 401 and response.json()["code"] == "token_expired"


async def test_an_open_chat_token_does_not_expire(agent, settings):
    settings.VISITOR_TOKEN_TTL_AFTER_END_SECONDS = 0
    chat = await database_sync_to_async(accepted_chat)(agent=agent)
    response = await database_sync_to_async(visitor_get)(chat)
    assert response.status_code == 200 and response.json()["status"] == "active"
