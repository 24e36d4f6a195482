import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from helpdesk.models import Agent
from tests.factories import AgentFactory
from tests.support.api import api_client_for

pytestmark = pytest.mark.django_db


def test_me_shows_profile_and_settings(api, agent):
    body = api.get("/api/v1/agents/me/").json()
    assert body == {
        "id": agent.pk,
        "name": "Alice",
        "departments": ["sales"],
        "chat_enabled": True,
        "chat_status": "online",
        "ringer": True,
        "max_concurrent_chats": 5,
        "presence": "online",
    }


def test_patch_status_and_ringer_is_saved(api, agent):
    response = api.patch("/api/v1/agents/me/", {"chat_status": "offline", "ringer": False}, format="json")
    assert response.status_code == 200
    agent.refresh_from_db()
    assert (agent.chat_status, agent.ringer) == ("offline", False)
    assert api.get("/api/v1/agents/me/").json()["chat_status"] == "offline"


def test_bad_status_is_400(api):
    response = api.patch("/api/v1/agents/me/", {"chat_status": "away"}, format="json")
    assert response.status_code == 400 and "chat_status" in response.json()


def test_agent_not_enabled_for_chat_cannot_set_chat_status(sales):
    agent = AgentFactory(chat_enabled=False, chat_status=Agent.ChatStatus.OFFLINE)
    response = api_client_for(agent).patch("/api/v1/agents/me/", {"chat_status": "online"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    agent.refresh_from_db()
    assert agent.chat_status == "offline"


def test_create_agent_command_prints_token_last(sales, support, capsys):
    call_command(
        "create_agent", "carol", "--password", "pw-123456", "--name", "Carol", "--departments", "sales,support"
    )
    token = capsys.readouterr().out.strip().splitlines()[-1]
    agent = Agent.objects.get(user__username="carol")
    assert agent.chat_enabled and agent.display_name == "Carol"
    assert sorted(agent.departments.values_list("slug", flat=True)) == ["sales", "support"]
    response = APIClient().get("/api/v1/agents/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json()["id"] == agent.pk


def test_create_agent_refuses_unknown_department(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_agent", "dave", "--password", "pw-123456", "--departments", "nope")
    assert not Agent.objects.exists()
