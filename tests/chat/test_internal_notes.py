"""Issue 15: internal notes in a chat. An agent taking part (or a manager who may monitor chats)
writes a note: `message.send` with `"internal": true` on the agent socket, `{"body", "internal":
true}` on POST /api/v1/chats/{id}/messages/. It takes the chat's next seq and reaches the agents'
sockets with `internal: true`; the visitor never receives it, live or on replay, never reads it
over the visitor API or in the transcript e-mail, and never sees a gap in their sequence where
it was: visitor frames are numbered in the visitor's own sequence (docs/protocol.md)."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission
from django.core import mail
from rest_framework.test import APIClient

from chat import services
from chat.models import Chat, Message
from chat.selectors import visitor_seq_of
from chat.services.aftercare import transcript_email
from helpdesk.actors import ChatVisitor
from helpdesk.platform.errors import DomainError, ErrorCode
from tests.factories import AgentFactory, accepted_chat
from tests.support.api import api_client_for
from tests.support.sockets import agent_socket, frames_before_marker, next_frame, probe, receive_type, visitor_socket
from tickets.models import ThreadEntry, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def active_chat(agent):
    return accepted_chat(agent=agent)


def post(chat, actor, body, *, internal=False):
    message, _created = services.message_post(actor=actor, chat_id=chat.pk, body=body, internal=internal)
    return message


def visitor_of(chat):
    return ChatVisitor.of(Chat.objects.get(pk=chat.pk))


def with_monitor_permission(agent):
    agent.user.user_permissions.add(Permission.objects.get(content_type__app_label="chat", codename="monitor_chats"))
    agent.user.refresh_from_db()  # has_perm caches
    return agent


# Live delivery ---------------------------------------------------------------------------------


async def test_a_note_reaches_the_agents_but_never_the_visitors_socket(active_chat, agent):
    visitor = await visitor_socket(active_chat)
    assert await probe(visitor) == []
    socket = await agent_socket(agent)
    await socket.send_json_to(
        {"type": "message.send", "chat_id": active_chat.pk, "body": "VIP, be nice", "client_id": "n1", "internal": True}
    )
    note = await receive_type(socket, "message")
    assert (note["body"], note["internal"], note["seq"]) == ("VIP, be nice", True, 1)
    await socket.send_json_to(
        {"type": "message.send", "chat_id": active_chat.pk, "body": "Hello!", "client_id": "m1", "internal": False}
    )
    reply = await receive_type(socket, "message")
    assert (reply["body"], reply["internal"], reply["seq"]) == ("Hello!", False, 2)

    # The visitor's next frame is the reply, numbered 1 in their sequence: no note, no gap.
    seen = await next_frame(visitor, "message")
    assert (seen["body"], seen["seq"]) == ("Hello!", 1)
    assert "internal" not in seen
    await visitor.send_json_to({"type": "message.send", "body": "Thanks", "client_id": "v1"})
    assert (await receive_type(visitor, "message"))["seq"] == 2
    assert (await receive_type(socket, "message"))["seq"] == 3
    await visitor.disconnect()
    await socket.disconnect()


async def test_a_note_typing_indicator_reaches_agents_only(active_chat, agent, other_agent):
    visitor = await visitor_socket(active_chat)
    assert await probe(visitor) == []
    socket = await agent_socket(agent)
    await socket.send_json_to({"type": "typing", "chat_id": active_chat.pk, "internal": True})
    await socket.send_json_to({"type": "message.send", "chat_id": active_chat.pk, "body": "Hi", "client_id": "m"})
    assert (await receive_type(socket, "message"))["body"] == "Hi"
    # The visitor's first frame is the message: the note's typing frame never came.
    assert (await next_frame(visitor, "message"))["body"] == "Hi"
    await socket.send_json_to({"type": "typing", "chat_id": active_chat.pk, "internal": "yes"})
    assert (await receive_type(socket, "error"))["code"] == "invalid"
    await visitor.disconnect()
    await socket.disconnect()


async def test_bad_internal_values_get_an_invalid_error_frame(active_chat, agent):
    socket = await agent_socket(agent)
    for value in ("true", 1, None, [], {"a": 1}):
        await socket.send_json_to(
            {"type": "message.send", "chat_id": active_chat.pk, "body": "x", "client_id": "c", "internal": value}
        )
        error = await receive_type(socket, "error")
        assert (error["code"], error["client_id"]) == ("invalid", "c"), value
    assert await database_sync_to_async(Message.objects.filter(chat_id=active_chat.pk).count)() == 0
    await socket.disconnect()


# Replay and visitor API ------------------------------------------------------------------------


async def test_the_visitor_replay_skips_notes_and_counts_only_what_the_visitor_sees(active_chat, agent):
    def write():
        post(active_chat, visitor_of(active_chat), "My order is late")  # seq 1, visitor 1
        post(active_chat, agent, "Order 42, checked", internal=True)  # seq 2
        post(active_chat, agent, "It ships today")  # seq 3, visitor 2
        post(active_chat, agent, "Told them", internal=True)  # seq 4
        post(active_chat, agent, "Anything else?")  # seq 5, visitor 3

    await database_sync_to_async(write)()
    visitor = await visitor_socket(active_chat)
    replay = [await next_frame(visitor, "message") for _ in range(3)]
    assert [(f["seq"], f["body"]) for f in replay] == [
        (1, "My order is late"),
        (2, "It ships today"),
        (3, "Anything else?"),
    ]
    assert await probe(visitor) == []  # and nothing else: no note
    await visitor.disconnect()

    # Reconnecting after the visitor's seq 2 replays their seq 3 only.
    visitor = await visitor_socket(active_chat, after_seq=2)
    frame = await next_frame(visitor, "message")
    assert (frame["seq"], frame["body"]) == (3, "Anything else?")
    assert await probe(visitor) == []
    # A live message after the replay carries the next visitor seq, no gap.
    await database_sync_to_async(post)(active_chat, agent, "Bye")
    frame = await next_frame(visitor, "message")
    assert (frame["seq"], frame["body"]) == (4, "Bye")
    await visitor.disconnect()


async def test_the_agents_replay_on_joining_has_the_notes_marked(active_chat, agent, other_agent):
    def write_and_invite():
        post(active_chat, agent, "Note for Bob", internal=True)
        post(active_chat, agent, "Hello")
        [invitation] = services.invitations_create(actor=agent, chat_id=active_chat.pk, invitee_ids=[other_agent.pk])
        services.invitation_accept(actor=other_agent, invitation_id=invitation.pk)

    socket = await agent_socket(other_agent)
    await database_sync_to_async(write_and_invite)()
    await receive_type(socket, "invitation.accepted")
    messages = [await receive_type(socket, "message") for _ in range(2)]
    assert [(m["seq"], m["body"], m["internal"]) for m in messages] == [(1, "Note for Bob", True), (2, "Hello", False)]
    await socket.disconnect()


def test_the_visitor_api_counts_no_note(active_chat, agent):
    post(active_chat, agent, "Hello")
    post(active_chat, agent, "secret", internal=True)
    post(active_chat, agent, "secret too", internal=True)
    response = APIClient().get(f"/api/v1/visitor/chats/{active_chat.pk}/", HTTP_X_VISITOR_TOKEN=active_chat.token)
    assert response.status_code == 200
    assert response.json()["last_seq"] == 1
    assert "secret" not in response.content.decode()


def test_a_re_sent_visitor_message_keeps_its_visitor_seq(active_chat, agent):
    post(active_chat, agent, "note", internal=True)
    visitor = visitor_of(active_chat)
    message, created = services.message_post(actor=visitor, chat_id=active_chat.pk, body="Hi", client_id="v")
    assert created and message.seq == 2
    assert visitor_seq_of(message) == 1


# Who may write one -----------------------------------------------------------------------------


def test_a_visitor_cannot_write_a_note(active_chat):
    with pytest.raises(DomainError) as error:
        post(active_chat, visitor_of(active_chat), "hi", internal=True)
    assert error.value.code == ErrorCode.NOT_ALLOWED


def test_an_agent_not_taking_part_cannot_but_a_manager_who_monitors_can(active_chat, other_agent, sales):
    with pytest.raises(DomainError) as error:
        post(active_chat, other_agent, "I am watching", internal=True)
    assert error.value.code == ErrorCode.NOT_ALLOWED
    manager = with_monitor_permission(AgentFactory(display_name="Mia", departments=[sales]))
    note = post(active_chat, manager, "Offer the discount", internal=True)
    assert (note.seq, note.internal, note.sender_name) == (1, True, "Mia")
    # Monitoring gives notes, not messages to the visitor.
    with pytest.raises(DomainError) as error:
        post(active_chat, manager, "Hello visitor")
    assert error.value.code == ErrorCode.NOT_ALLOWED


# REST ------------------------------------------------------------------------------------------


def test_rest_post_of_a_note_and_the_agents_message_list(active_chat, agent):
    api = api_client_for(agent)
    url = f"/api/v1/chats/{active_chat.pk}/messages/"
    response = api.post(url, {"body": "Checked the order", "internal": True}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["internal"], response.json()["seq"]) == (True, 1)
    response = api.post(url, {"body": "Hello"}, format="json")
    assert (response.status_code, response.json()["internal"]) == (201, False)
    for bad in ("true", 1, None):
        response = api.post(url, {"body": "x", "internal": bad}, format="json")
        assert response.status_code == 400, bad
    listed = api.get(url).json()
    assert [(m["body"], m["internal"]) for m in listed] == [("Checked the order", True), ("Hello", False)]


# After the chat --------------------------------------------------------------------------------


def test_notes_are_not_in_the_transcript_email_but_internal_comments_on_the_ticket(active_chat, agent):
    post(active_chat, visitor_of(active_chat), "Where is my parcel?")
    post(active_chat, agent, "Courier lost it, refund approved", internal=True)
    post(active_chat, agent, "It is on its way")
    services.chat_end(actor=agent, chat_id=active_chat.pk)
    active_chat.refresh_from_db()

    email = transcript_email(active_chat)
    assert "It is on its way" in email.body
    assert "Courier" not in email.body
    assert "Courier" not in email.alternatives[0][0]

    ticket = Ticket.objects.get(source_chat=active_chat)
    entries = {entry.body: entry.kind for entry in ticket.thread.all()}
    assert entries["Courier lost it, refund approved"] == ThreadEntry.Kind.COMMENT
    assert entries["It is on its way"] == ThreadEntry.Kind.TRANSCRIPT
    assert all("Courier" not in sent.body for sent in mail.outbox)


async def test_every_agent_in_the_chat_gets_the_note_live_with_internal_true(active_chat, agent, other_agent):
    def invite():
        [invitation] = services.invitations_create(actor=agent, chat_id=active_chat.pk, invitee_ids=[other_agent.pk])
        services.invitation_accept(actor=other_agent, invitation_id=invitation.pk)

    await database_sync_to_async(invite)()
    second = await agent_socket(other_agent)  # joins the chats it takes part in
    await database_sync_to_async(post)(active_chat, agent, "between us", internal=True)
    frames = await frames_before_marker(second, other_agent)
    notes = [f for f in frames if f["type"] == "message"]
    assert [(f["body"], f["internal"]) for f in notes] == [("between us", True)]
    await second.disconnect()
