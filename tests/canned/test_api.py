import pytest
from django.contrib.auth.models import Permission

from canned.models import CannedCategory, CannedMessage
from helpdesk.actors import SYSTEM
from tests.factories import AgentFactory, CannedCategoryFactory, CannedMessageFactory
from tests.support.api import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_api(sales):
    """An agent created the way every agent is, so in the Agents group."""
    from helpdesk.agents.services import agent_create

    agent, token = agent_create(actor=SYSTEM, username="carol", password="pw-123456", name="Carol", departments=[sales])
    agent.api_key = token.key  # as the factory does: only its hash is stored
    return api_client_for(agent)


def test_suggestions_rank_shortcut_then_category_then_text(sales, support, agent_api):
    refunds = CannedCategoryFactory(name="Refunds")
    other = CannedCategoryFactory(name="Other")
    text_match = CannedMessageFactory(text="Our refund policy allows 30 days.", category=other, department=None)
    category_match = CannedMessageFactory(text="We will look into it.", category=refunds, department=sales)
    shortcut_match = CannedMessageFactory(
        text="Your money is on its way.", shortcut="refund", category=other, department=sales
    )
    CannedMessageFactory(text="refund in support only", shortcut="refund-support", department=support)
    response = agent_api.get("/api/v1/canned-messages/?q=refund&department=sales")
    assert response.status_code == 200
    ids = [m["id"] for m in response.json()["results"]]
    assert ids == [shortcut_match.pk, category_match.pk, text_match.pk]
    first = response.json()["results"][0]
    assert first["category_name"] == "Other" and first["department"] == "sales" and first["shortcut"] == "refund"


def test_agents_see_their_departments_and_all_department_messages(sales, support, agent_api):
    mine = CannedMessageFactory(department=sales)
    everyone = CannedMessageFactory(department=None)
    CannedMessageFactory(department=support)
    ids = {m["id"] for m in agent_api.get("/api/v1/canned-messages/").json()["results"]}
    assert ids == {mine.pk, everyone.pk}


def test_agent_adds_and_changes_but_may_not_delete_by_default(sales, agent_api):
    response = agent_api.post(
        "/api/v1/canned-messages/",
        {"text": "Hi {visitor.name}!", "department": "sales", "new_category": "Greetings", "shortcut": "hi"},
        format="json",
    )
    assert response.status_code == 201, response.content
    message_id = response.json()["id"]
    assert response.json()["category_name"] == "Greetings"
    patched = agent_api.patch(f"/api/v1/canned-messages/{message_id}/", {"shortcut": "hello"}, format="json")
    assert patched.status_code == 200 and patched.json()["department"] == "sales"
    assert patched.json()["text"] == "Hi {visitor.name}!" and patched.json()["shortcut"] == "hello"
    denied = agent_api.delete(f"/api/v1/canned-messages/{message_id}/")
    assert denied.status_code == 403 and denied.json()["code"] == "not_allowed"
    assert CannedMessage.objects.filter(pk=message_id).exists()


def test_delete_with_the_permission(sales):
    manager = AgentFactory(departments=[sales])
    manager.user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_cannedmessage", "delete_cannedmessage"])
    )
    message = CannedMessageFactory(department=sales)
    assert api_client_for(manager).delete(f"/api/v1/canned-messages/{message.pk}/").status_code == 204
    assert not CannedMessage.objects.exists()


def test_user_without_permissions_gets_403(sales):
    outsider = AgentFactory(departments=[sales])  # not in the Agents group: no permissions
    response = api_client_for(outsider).get("/api/v1/canned-messages/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "Dear {customer}", "category": None}, "text"),
        ({"text": "", "new_category": "X"}, "text"),
        ({"text": "Hi"}, "category"),
        ({"text": 5, "new_category": "X"}, "text"),
        ({"text": "Hi", "new_category": "X", "shortcut": "no spaces please"}, "shortcut"),
    ],
)
def test_bad_input_is_400_with_the_field_and_writes_nothing(agent_api, payload, field):
    category = CannedCategoryFactory()
    if payload.get("category", "") is None:
        payload["category"] = category.pk
    response = agent_api.post("/api/v1/canned-messages/", {"department": "sales", **payload}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and response.json()["code"]
    assert not CannedMessage.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"), [({"department": "nope"}, "department"), ({"category": 999999}, "category")]
)
def test_a_department_or_category_that_does_not_exist_is_not_found(agent_api, payload, field):
    response = agent_api.post("/api/v1/canned-messages/", {"text": "Hi", "new_category": "X", **payload}, format="json")
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found" and field in response.json()
    assert not CannedMessage.objects.exists()


def test_categories_api_counts_renames_and_refuses_deleting_a_full_one(sales, agent_api):
    created = agent_api.post("/api/v1/canned-categories/", {"name": " Shipping "}, format="json")
    assert created.status_code == 201 and created.json() == {
        "id": created.json()["id"],
        "name": "Shipping",
        "message_count": 0,
    }
    duplicate = agent_api.post("/api/v1/canned-categories/", {"name": "shipping"}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate"
    category_id = created.json()["id"]
    CannedMessageFactory.create_batch(2, category=CannedCategory.objects.get(pk=category_id))
    listed = agent_api.get("/api/v1/canned-categories/").json()
    assert listed == [{"id": category_id, "name": "Shipping", "message_count": 2}]
    renamed = agent_api.patch(f"/api/v1/canned-categories/{category_id}/", {"name": "Delivery"}, format="json")
    assert renamed.json()["name"] == "Delivery"


def test_full_category_delete_is_409_with_the_count(sales):
    manager = AgentFactory(departments=[sales])
    manager.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="canned"))
    category = CannedCategoryFactory(name="Busy")
    CannedMessageFactory.create_batch(2, category=category)
    response = api_client_for(manager).delete(f"/api/v1/canned-categories/{category.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "category_not_empty"
    assert "2 canned messages" in response.json()["detail"]
