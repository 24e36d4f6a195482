import pytest

from chat.models import Chat, Transfer
from helpdesk.models import Agent
from tests.factories import AgentFactory, accepted_chat
from tests.support.api import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(sales, support):
    return AgentFactory(display_name="Bob", departments=[sales, support])


def test_available_agents_lists_colleagues_who_can_take_a_chat(api, agent, bob, sales, support):
    AgentFactory(display_name="Olga Offline", departments=[sales], chat_status=Agent.ChatStatus.OFFLINE)
    AgentFactory(display_name="Ada Away", departments=[sales], connected=False)
    full = AgentFactory(display_name="Fay Full", departments=[sales], max_concurrent_chats=1)
    accepted_chat(agent=full)
    accepted_chat(agent=bob)
    body = api.get("/api/v1/agents/available/").json()
    bob_entry = {"id": bob.pk, "name": "Bob", "departments": ["sales", "support"], "active_chats": 1}
    assert body == [{**bob_entry, "presence": "online"}]
    assert [a["id"] for a in api.get("/api/v1/agents/available/?department=support").json()] == [bob.pk]
    assert api.get("/api/v1/agents/available/?department=nope").status_code == 404  # no such department
    assert len(api.get("/api/v1/agents/available/?department=").json()) == 1  # empty: any department


def test_transfer_accept_flow_over_rest(api, agent, bob, sales, support):
    chat = accepted_chat(agent=agent, department=sales)
    created = api.post(
        f"/api/v1/chats/{chat.pk}/transfer/", {"agent": bob.pk, "department": "support", "note": "VIP"}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["status"] == "pending"
        and body["to_agent"] == {"id": bob.pk, "name": "Bob"}
        and body["department"] == "support"
    )
    again = api.post(f"/api/v1/chats/{chat.pk}/transfer/", {"agent": bob.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "transfer_pending"
    assert api.post(f"/api/v1/transfers/{body['id']}/accept/").status_code == 404  # not Alice's to accept
    accepted = api_client_for(bob).post(f"/api/v1/transfers/{body['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    detail = api_client_for(bob).get(f"/api/v1/chats/{chat.pk}/").json()
    assert detail["owner"]["id"] == bob.pk and detail["department"] == "support"


def test_transfer_bad_input(api, agent, bob):
    chat = accepted_chat(agent=agent)
    for payload in (
        {},
        {"agent": "bob"},
        {"agent": 0},
        {"agent": bob.pk, "note": 5},
        {"agent": bob.pk, "department": 5},
    ):
        response = api.post(f"/api/v1/chats/{chat.pk}/transfer/", payload, format="json")
        assert response.status_code == 400, payload
    response = api.post(f"/api/v1/chats/{chat.pk}/transfer/", {"agent": bob.pk, "department": "x"}, format="json")
    assert response.status_code == 404 and response.json()["department"] == ["No department 'x'."]
    assert not Transfer.objects.exists()


def test_invite_decline_and_leave_over_rest(api, agent, bob):
    chat = accepted_chat(agent=agent)
    created = api.post(f"/api/v1/chats/{chat.pk}/invite/", {"agents": [bob.pk], "note": "help"}, format="json")
    assert created.status_code == 201, created.content
    invitation = created.json()["invitations"][0]
    assert invitation["invitee"] == {"id": bob.pk, "name": "Bob"} and invitation["status"] == "pending"
    bob_api = api_client_for(bob)
    assert bob_api.post(f"/api/v1/invitations/{invitation['id']}/accept/").json()["status"] == "accepted"
    assert {p["id"] for p in bob_api.get(f"/api/v1/chats/{chat.pk}/").json()["participants"]} >= {agent.pk, bob.pk}
    posted = bob_api.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "Bob here"}, format="json")
    assert posted.status_code == 201 and posted.json()["sender"]["name"] == "Bob"
    left = bob_api.post(f"/api/v1/chats/{chat.pk}/leave/")
    assert left.status_code == 200
    assert api.post(f"/api/v1/chats/{chat.pk}/leave/").json()["code"] == "not_allowed"
    assert api.post(f"/api/v1/chats/{chat.pk}/invite/", {"agents": []}, format="json").status_code == 400
    assert Chat.objects.get(pk=chat.pk).owner == agent
