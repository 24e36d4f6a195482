"""A NUL character (PostgreSQL text cannot hold one) in any text input is a 400, never a 500:
JSON `{code: "invalid"}` from the API, a 400 page elsewhere, and nothing is written. (The API
ignores parameters and properties it does not document, whatever they hold.)"""

import pytest
from django.test import Client

from canned.models import CannedMessage
from chat.models import Transfer
from tests.factories import AgentFactory, accepted_chat
from tests.support.api import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(sales, support):
    agent = AgentFactory(display_name="Mia", departments=[sales, support])
    agent.user.is_superuser = True  # every permission: the NUL must be what is refused
    agent.user.save()
    return agent


def _assert_invalid(response):
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/?department=%00",
        "/api/v1/tickets/?q=a%00b",
        "/api/v1/canned-messages/?department=%00",
        "/api/v1/canned-messages/?q=%00",
        "/api/v1/agents/available/?department=%00",
        "/api/v1/chats/?status=%00",
        "/api/v1/tickets/?assignee=%00",
    ],
)
def test_nul_in_a_query_parameter_is_a_400(manager, path):
    _assert_invalid(api_client_for(manager).get(path))


def test_nul_in_a_transfer_is_a_400_and_transfers_nothing(manager, sales):
    chat = accepted_chat(agent=manager, department=sales)
    bob = AgentFactory(display_name="Bob", departments=[sales])
    client = api_client_for(manager)
    for body in ({"agent": bob.pk, "department": "\x00"}, {"agent": bob.pk, "note": "hi\x00"}):
        _assert_invalid(client.post(f"/api/v1/chats/{chat.pk}/transfer/", body, format="json"))
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"text": "Hello", "department": "\x00", "new_category": "General"},
        {"text": "Hello\x00", "department": "sales", "new_category": "General"},
        {"text": "Hello", "department": "sales", "new_category": "Gen\x00eral"},
        {"text": "Hello", "department": "sales", "shortcut": "\x00"},
    ],
)
def test_nul_in_a_canned_message_body_is_a_400_and_creates_nothing(manager, body):
    _assert_invalid(api_client_for(manager).post("/api/v1/canned-messages/", body, format="json"))
    assert not CannedMessage.objects.exists()


def test_a_lone_surrogate_in_a_json_body_is_a_400(manager):
    body = '{"text": "Hello", "department": "\\ud800", "new_category": "General"}'
    response = api_client_for(manager).generic(
        "POST", "/api/v1/canned-messages/", body, content_type="application/json"
    )
    _assert_invalid(response)
    assert not CannedMessage.objects.exists()


@pytest.mark.parametrize(
    "path", ["/tickets/?q=%00", "/canned/?department=%00", "/admin/chat/chat/?q=%00", "/tickets/?%00=1"]
)
def test_nul_in_a_page_query_is_a_400_page(manager, path):
    client = Client()
    client.force_login(manager.user)
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_nul_in_a_page_form_is_refused_and_saves_nothing(manager):
    client = Client()
    client.force_login(manager.user)
    response = client.post("/canned/new/", {"text": "Hi\x00", "department": "", "new_category": "General"})
    assert response.status_code == 400
    assert not CannedMessage.objects.exists()
