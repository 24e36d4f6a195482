"""Issue 11, finding 9: an agent who handed a chat over, left it or saw it end reads it only as
far as they were there; the visitor's details and the transcript ticket (the whole thread) are
for those who still read the chat in full."""

import pytest
from django.test import Client
from django.urls import reverse

from chat import services
from chat.models import ChatParticipant
from helpdesk.actors import ChatVisitor
from tests.factories import AgentFactory, DepartmentFactory, accepted_chat
from tests.support.api import api_client_for

pytestmark = pytest.mark.django_db


def visitor_says(chat, body):
    return services.message_post(
        actor=ChatVisitor(chat_id=chat.pk, name=chat.visitor.name), chat_id=chat.pk, body=body
    )[0]


def agent_says(chat, agent, body):
    return services.message_post(actor=agent, chat_id=chat.pk, body=body)[0]


def bodies(api, chat, **query):
    response = api.get(f"/api/v1/chats/{chat.pk}/messages/", query)
    assert response.status_code == 200, response.content
    return [m["body"] for m in response.json()]


@pytest.fixture
def handed_over(agent, sales, support):
    """Alice (Sales) transferred a Sales chat to Bob in Support; the visitor then wrote on."""
    bob = AgentFactory(display_name="Bob", departments=[support])
    chat = accepted_chat(agent=agent, department=sales)
    chat.visitor.ip_address, chat.visitor.location, chat.visitor.browser = "203.0.113.9", "Lisbon, Portugal", "Firefox"
    chat.visitor.save()
    visitor_says(chat, "My order 1234 is late")
    agent_says(chat, agent, "Let me pass you to Support")
    transfer = services.transfer_request(actor=agent, chat_id=chat.pk, to_agent_id=bob.pk, department=support)
    services.transfer_accept(actor=bob, transfer_id=transfer.pk)
    visitor_says(chat, "My card number is 4111 1111 1111 1111")
    return chat, bob


def test_after_a_transfer_the_former_owner_reads_only_up_to_the_handover(agent, handed_over):
    chat, bob = handed_over
    alice = api_client_for(agent)
    assert bodies(alice, chat) == ["My order 1234 is late", "Let me pass you to Support"]
    assert bodies(alice, chat, after_seq=2) == []
    assert ChatParticipant.objects.get(chat=chat, agent=agent).left_seq == 2
    assert bodies(api_client_for(bob), chat)[-1] == "My card number is 4111 1111 1111 1111"


def test_after_a_transfer_the_former_owner_gets_no_visitor_details(agent, handed_over):
    chat, _ = handed_over
    alice = api_client_for(agent)
    info = alice.get(f"/api/v1/chats/{chat.pk}/visitor-info/")
    assert info.status_code == 403 and info.json()["code"] == "not_allowed"
    detail = alice.get(f"/api/v1/chats/{chat.pk}/").json()
    assert detail["last_seq"] == 2
    assert detail["visitor"]["ip_address"] is None
    assert (detail["visitor"]["location"], detail["visitor"]["browser"]) == ("", "")
    assert detail["visitor"]["name"] == chat.visitor.name
    listed = next(c for c in alice.get("/api/v1/chats/").json()["results"] if c["id"] == chat.pk)
    assert listed["last_seq"] == 2 and listed["visitor"]["ip_address"] is None


def test_the_new_owner_and_superusers_read_everything(handed_over):
    chat, bob = handed_over
    for reader in (bob, AgentFactory(user__is_superuser=True)):
        api = api_client_for(reader)
        assert api.get(f"/api/v1/chats/{chat.pk}/visitor-info/").json()["visitor"]["ip_address"] == "203.0.113.9"
        assert api.get(f"/api/v1/chats/{chat.pk}/").json()["last_seq"] == 4


def test_after_the_end_the_early_leaver_gets_no_transcript_ticket(agent, handed_over):
    chat, bob = handed_over
    services.chat_end(actor=bob, chat_id=chat.pk)
    ticket_id = api_client_for(bob).get(f"/api/v1/chats/{chat.pk}/").json()["ticket_id"]
    alice = api_client_for(agent)
    assert alice.get(f"/api/v1/tickets/{ticket_id}/").status_code == 404
    assert ticket_id not in [t["id"] for t in alice.get("/api/v1/tickets/").json()["results"]]
    alice_page = Client()
    alice_page.force_login(agent.user)
    assert alice_page.get(reverse("ticket-detail-page", args=[ticket_id])).status_code == 404
    assert api_client_for(bob).get(f"/api/v1/tickets/{ticket_id}/").status_code == 200
    assert bodies(alice, chat) == ["My order 1234 is late", "Let me pass you to Support"]


def test_a_transfer_inside_the_department_changes_nothing_for_colleagues(agent, sales):
    colleague = AgentFactory(display_name="Cleo", departments=[sales])
    chat = accepted_chat(agent=agent, department=sales)
    transfer = services.transfer_request(actor=agent, chat_id=chat.pk, to_agent_id=colleague.pk)
    services.transfer_accept(actor=colleague, transfer_id=transfer.pk)
    visitor_says(chat, "Still there?")
    alice = api_client_for(agent)  # a Sales agent reads Sales chats in full, as before
    assert bodies(alice, chat)[-1] == "Still there?"
    assert alice.get(f"/api/v1/chats/{chat.pk}/visitor-info/").status_code == 200


@pytest.fixture
def billing_helper():
    return AgentFactory(display_name="Carol", departments=[DepartmentFactory(name="Billing", slug="billing")])


def invite(chat, inviter, invitee):
    [invitation] = services.invitations_create(actor=inviter, chat_id=chat.pk, invitee_ids=[invitee.pk])
    services.invitation_accept(actor=invitee, invitation_id=invitation.pk)


def test_an_invited_agent_who_left_reads_up_to_leaving_and_in_full_again_after_rejoining(agent, sales, billing_helper):
    chat = accepted_chat(agent=agent, department=sales)
    invite(chat, agent, billing_helper)
    agent_says(chat, billing_helper, "Refund issued")
    services.chat_leave(actor=billing_helper, chat_id=chat.pk)
    visitor_says(chat, "Thanks, one more thing")
    carol = api_client_for(billing_helper)
    assert bodies(carol, chat) == ["Carol joined the chat (invited by Alice)", "Refund issued"]
    assert carol.get(f"/api/v1/chats/{chat.pk}/visitor-info/").status_code == 403
    invite(chat, agent, billing_helper)  # back in the chat: the whole thread again
    assert "Thanks, one more thing" in bodies(carol, chat)
    assert carol.get(f"/api/v1/chats/{chat.pk}/visitor-info/").status_code == 200


def test_an_invited_agent_in_the_chat_at_its_end_keeps_the_whole_thread_and_the_ticket(agent, sales, billing_helper):
    chat = accepted_chat(agent=agent, department=sales)
    invite(chat, agent, billing_helper)
    visitor_says(chat, "Bye")
    services.chat_end(actor=agent, chat_id=chat.pk)
    carol = api_client_for(billing_helper)
    assert bodies(carol, chat)[-1] == "Bye"
    detail = carol.get(f"/api/v1/chats/{chat.pk}/").json()
    assert carol.get(f"/api/v1/tickets/{detail['ticket_id']}/").status_code == 200
    # The end is a leaving too: the visitor's details are for those who still read it in full.
    assert carol.get(f"/api/v1/chats/{chat.pk}/visitor-info/").status_code == 403


def test_a_chat_outside_every_reach_stays_not_found(handed_over):
    chat, _ = handed_over
    stranger = AgentFactory(departments=[DepartmentFactory(name="Billing", slug="billing")])
    assert api_client_for(stranger).get(f"/api/v1/chats/{chat.pk}/messages/").status_code == 404
