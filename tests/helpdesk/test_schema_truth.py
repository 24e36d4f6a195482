"""The OpenAPI schema says what the API does (issue 11, finding 16): each disagreement that
schemathesis found, pinned by a deterministic test; tests/test_schemathesis.py looks for more."""

import pytest
from rest_framework.test import APIClient

from canned.models import CannedCategory
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tests.support.api import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/?format=json").json()


@pytest.fixture
def manager(sales):
    agent = AgentFactory(display_name="Mia", departments=[sales])
    agent.user.is_superuser = True
    agent.user.save()
    return agent


def _component(schema, name):
    return schema["components"]["schemas"][name]


def test_a_chat_without_department_is_null_and_documented_so(schema, manager):
    chat = accepted_chat(agent=manager, department=None)
    body = api_client_for(manager).get(f"/api/v1/chats/{chat.pk}/").json()
    assert body["department"] is None and body["department_name"] is None
    for name in ("Chat", "Ticket", "VisitorChatState", "Transfer"):
        assert _component(schema, name)["properties"]["department"].get("nullable") is True, name
    assert _component(schema, "Chat")["properties"]["department_name"].get("nullable") is True


def test_page_url_is_documented_as_the_pattern_it_is_checked_against(schema, manager):
    stored = _component(schema, "Chat")["properties"]["page_url"]
    assert "format" not in stored  # whatever was stored is returned as text
    chat = ChatFactory(page_url="not a url, stored before the rule")
    manager_api = api_client_for(manager)
    assert manager_api.get(f"/api/v1/chats/{chat.pk}/").json()["page_url"] == "not a url, stored before the rule"
    sent = _component(schema, "VisitorChatStartRequest")["properties"]["page_url"]["oneOf"][0]
    assert "format" not in sent and sent["pattern"] == "^(https?://[!-~]+)?$"


def test_path_ids_are_documented_positive(schema):
    for path, item in schema["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert parameter["schema"]["minimum"] == 1, path
                    assert parameter["schema"]["maximum"] == 2**63 - 1, path


def test_required_text_is_documented_non_blank(schema):
    start = _component(schema, "VisitorChatStartRequest")["properties"]
    for field in ("name", "question"):
        assert start[field]["minLength"] == 1 and "pattern" in start[field]
    assert _component(schema, "CannedCategoryRequest")["properties"]["name"]["minLength"] == 1
    assert _component(schema, "MessagePostRequest")["properties"]["body"]["minLength"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "   ", "email": "v@example.org", "question": "Hi"},
        {"name": "V", "email": "v@example.org", "question": " "},
    ],
)
def test_blank_required_text_is_refused(sales, body):
    assert APIClient().post("/api/v1/visitor/chats/", body, format="json").status_code == 400


def test_length_is_counted_as_sent_as_the_schema_says(manager):
    # 100 characters is the documented maxLength; trailing spaces do not slip under it.
    response = api_client_for(manager).post("/api/v1/canned-categories/", {"name": "x" * 100 + " "}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


@pytest.mark.parametrize("path", ["/api/v1/chats/?status=", "/api/v1/tickets/?view=", "/api/v1/tickets/?sort="])
def test_an_empty_choice_is_refused_not_ignored(manager, path):
    response = api_client_for(manager).get(path)
    assert response.status_code == 400 and response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/tickets/?department=nope", "department"),
        ("/api/v1/tickets/?assignee=999999", "assignee"),
        ("/api/v1/canned-messages/?department=nope", "department"),
        ("/api/v1/canned-messages/?category=999999", "category"),
        ("/api/v1/agents/available/?department=nope", "department"),
    ],
)
def test_a_filter_naming_nothing_is_not_found(manager, path, field):
    response = api_client_for(manager).get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and field in response.json()


def test_renaming_a_category_needs_a_name(schema, manager):
    category = CannedCategory.objects.create(name="General")
    client = api_client_for(manager)
    response = client.patch(f"/api/v1/canned-categories/{category.pk}/", {}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert _component(schema, "PatchedCannedCategoryRequest")["required"] == ["name"]
    assert (
        client.patch(f"/api/v1/canned-categories/{category.pk}/", {"name": "Billing"}, format="json").status_code == 200
    )


@pytest.mark.parametrize("path", ["/api/v1/chats/%0A/", "/api/v1/%0A", "/api/v1/tickets/1%0A2/"])
def test_a_path_with_a_newline_gets_the_api_404(manager, path):
    response = api_client_for(manager).get(path)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such API endpoint."}
