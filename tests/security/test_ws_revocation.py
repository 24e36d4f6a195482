"""Taking an agent's credential away reaches the sockets it opened: deactivated or made not
chat-enabled (every socket of theirs), signed out (that session's sockets), an API token deleted
(the sockets opened with it) — each closed with 4401 within a second, through the edge where the
change happens (admin, logout). Agent services refuse an agent no longer active."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.forms import BooleanField, MultiWidget
from django.test import Client

from chat import selectors, services
from chat.models import Chat, Message
from helpdesk.actors import SYSTEM
from helpdesk.agents.services import api_token_create
from helpdesk.asgi import application
from helpdesk.models import ApiToken
from helpdesk.platform.errors import DomainError
from tests.factories import ChatFactory, UserFactory, accepted_chat
from tests.support.sockets import HOST, ORIGIN, agent_socket, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_closed_4401_within_a_second(socket: WebsocketCommunicator) -> None:
    async with asyncio.timeout(1):
        while True:
            output = await socket.receive_output(timeout=1)
            if output["type"] == "websocket.close":
                assert output.get("code") == 4401
                return


async def assert_open(socket: WebsocketCommunicator) -> None:
    """Still served: a frame gets its answer."""
    await socket.send_json_to({"type": "typing", "chat_id": 2**62})
    assert (await receive_type(socket, "error"))["code"] == "not_allowed"


async def token_socket(key: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/ws/agent/?token={key}", headers=[HOST, ORIGIN])
    assert (await socket.connect(timeout=5))[0]
    return socket


async def session_socket(client: Client) -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket = WebsocketCommunicator(application, "/ws/agent/", headers=[HOST, ORIGIN, (b"cookie", cookie)])
    assert (await socket.connect(timeout=5))[0]
    return socket


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin_client() -> Client:
    return signed_in(UserFactory(is_staff=True, is_superuser=True))


def change_form_post(client: Client, url: str, **changes):
    """POST the admin change form at `url` as it stands, with `changes` (False unticks a box)."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = changes.get(name, form[name].value())
        if isinstance(field.widget, MultiWidget):
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else part
        elif isinstance(field, BooleanField):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


async def test_deactivated_in_the_admin_closes_every_socket_of_the_agent(agent):
    alice_page = await sync_to_async(signed_in)(agent.user)
    by_token, by_session = await token_socket(agent.api_key), await session_socket(alice_page)
    manager = await sync_to_async(admin_client)()
    url = f"/admin/auth/user/{agent.user.pk}/change/"
    await sync_to_async(change_form_post)(manager, url, is_active=False)
    await assert_closed_4401_within_a_second(by_token)
    await assert_closed_4401_within_a_second(by_session)


async def test_chat_disabled_in_the_admin_closes_every_socket_of_the_agent(agent, other_agent):
    tabs = [await agent_socket(agent), await agent_socket(agent)]
    bob = await agent_socket(other_agent)
    manager = await sync_to_async(admin_client)()
    await sync_to_async(change_form_post)(manager, f"/admin/helpdesk/agent/{agent.pk}/change/", chat_enabled=False)
    for tab in tabs:
        await assert_closed_4401_within_a_second(tab)
    await assert_open(bob)
    await bob.disconnect()


@pytest.mark.parametrize(
    ("model", "bulk"), [("auth/user", False), ("auth/user", True), ("helpdesk/agent", False), ("helpdesk/agent", True)]
)
async def test_deleted_in_the_admin_closes_every_socket_of_the_agent(agent, other_agent, model, bulk):
    socket, bob = await token_socket(agent.api_key), await agent_socket(other_agent)
    manager = await sync_to_async(admin_client)()
    pk = agent.user.pk if model == "auth/user" else agent.pk
    if bulk:
        form = {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
        response = await sync_to_async(manager.post)(f"/admin/{model}/", form)
    else:
        response = await sync_to_async(manager.post)(f"/admin/{model}/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    await assert_closed_4401_within_a_second(socket)
    await assert_open(bob)
    await bob.disconnect()


async def test_signing_out_closes_that_sessions_sockets_only(agent):
    here, elsewhere = await sync_to_async(signed_in)(agent.user), await sync_to_async(signed_in)(agent.user)
    socket_here, socket_elsewhere = await session_socket(here), await session_socket(elsewhere)
    by_token = await token_socket(agent.api_key)
    response = await sync_to_async(here.post)("/accounts/logout/")
    assert response.status_code == 302
    await assert_closed_4401_within_a_second(socket_here)
    await assert_open(socket_elsewhere)
    await assert_open(by_token)
    for socket in (socket_elsewhere, by_token):
        await socket.disconnect()


async def test_deleting_a_token_closes_the_sockets_opened_with_it(agent):
    second_key = await database_sync_to_async(lambda: api_token_create(actor=SYSTEM, user=agent.user).key)()
    doomed, kept = await token_socket(agent.api_key), await token_socket(second_key)
    token = await database_sync_to_async(ApiToken.objects.get)(key_hash=ApiToken.hash_key(agent.api_key))
    manager = await sync_to_async(admin_client)()
    response = await sync_to_async(manager.post)(f"/admin/helpdesk/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    await assert_closed_4401_within_a_second(doomed)
    await assert_open(kept)
    await kept.disconnect()


def test_a_deactivated_agent_is_offered_no_chats(sales, agent, other_agent):
    get_user_model().objects.filter(pk=agent.user_id).update(is_active=False)
    assert list(selectors.agents_to_offer(sales)) == [other_agent]


async def test_frames_of_a_deactivated_agent_are_refused(sales, agent):
    """The frame that was already on its way when the agent was deactivated."""
    chat = await database_sync_to_async(accepted_chat)(agent=agent)
    waiting = await database_sync_to_async(ChatFactory)(department=sales)
    socket = await agent_socket(agent)
    await database_sync_to_async(get_user_model().objects.filter(pk=agent.user_id).update)(is_active=False)
    frames = [
        {"type": "message.send", "chat_id": chat.pk, "body": "still here", "client_id": "a-1"},
        {"type": "chat.accept", "chat_id": waiting.pk},
        {"type": "chat.end", "chat_id": chat.pk, "delay_seconds": 0},
        {"type": "chat.end", "chat_id": chat.pk, "delay_seconds": 30},
        {"type": "chat.cancel_end", "chat_id": chat.pk},
    ]
    for frame in frames:
        await socket.send_json_to(frame)
        error = await receive_type(socket, "error")
        assert (error["code"], error["for_type"]) == ("not_allowed", frame["type"])
    statuses = await database_sync_to_async(lambda: dict(Chat.objects.values_list("pk", "status")))()
    assert statuses == {chat.pk: Chat.Status.ACTIVE, waiting.pk: Chat.Status.WAITING}
    assert not await database_sync_to_async(Message.objects.filter(chat=chat).exists)()
    await socket.disconnect()


def test_handover_services_refuse_a_deactivated_agent(agent, other_agent):

    chat = accepted_chat(agent=agent)
    transfer = services.transfer_request(actor=agent, chat_id=chat.pk, to_agent_id=other_agent.pk)
    get_user_model().objects.filter(pk=other_agent.user_id).update(is_active=False)
    for attempt in (
        lambda: services.transfer_accept(actor=other_agent, transfer_id=transfer.pk),
        lambda: services.transfer_decline(actor=other_agent, transfer_id=transfer.pk),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "not_allowed"
    get_user_model().objects.filter(pk=agent.user_id).update(is_active=False)
    for attempt in (
        lambda: services.transfer_withdraw(actor=agent, transfer_id=transfer.pk),
        lambda: services.chat_leave(actor=agent, chat_id=chat.pk),
        lambda: services.invitations_create(actor=agent, chat_id=chat.pk, invitee_ids=[other_agent.pk]),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "not_allowed"
