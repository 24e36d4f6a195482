"""Issue 11, finding 7: an agent files canned messages only under their own departments; all
departments (or another department) takes `canned.add_global_cannedmessage` (Managers), a new
category `canned.add_cannedcategory`. The service decides, so the API and the page agree."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from canned import services
from canned.models import CannedCategory, CannedMessage
from helpdesk.models import AGENTS_GROUP
from helpdesk.platform.errors import DomainError
from tests.factories import AgentFactory, CannedCategoryFactory, CannedMessageFactory
from tests.support.accounts import AGENTS_GROUP_PERMISSIONS
from tests.support.api import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales_agent(sales, support):
    """An agent of Sales in the Agents group, as every agent is (AGENTS_GROUP)."""
    agent = AgentFactory(display_name="Carol", departments=[sales])
    agent.user.groups.add(Group.objects.get(name=AGENTS_GROUP))
    return agent


@pytest.fixture
def manager(sales, support):
    agent = AgentFactory(display_name="Mona", departments=[sales])
    agent.user.groups.add(Group.objects.get(name=AGENTS_GROUP), Group.objects.get(name="Managers"))
    return agent


def _post(agent, **fields):
    body = {"text": "Reset your password at https://evil.example/", "category": CannedCategoryFactory().pk, **fields}
    return api_client_for(agent).post("/api/v1/canned-messages/", body, format="json")


def test_managers_group_holds_the_permission_from_the_migration():
    managers = Group.objects.get(name="Managers")
    assert managers.permissions.filter(codename="add_global_cannedmessage").exists()
    assert not Group.objects.get(name="Agents").permissions.filter(codename="add_global_cannedmessage").exists()


def test_agents_group_holds_what_the_agents_group_fixture_grants():
    """The `agents_group` fixture makes this group again for transactional tests."""
    codenames = Group.objects.get(name=AGENTS_GROUP).permissions.values_list("codename", flat=True)
    assert sorted(codenames) == sorted(AGENTS_GROUP_PERMISSIONS)


@pytest.mark.parametrize("department", ["support", None])
def test_api_post_outside_own_departments_is_403_and_writes_nothing(sales_agent, department):
    response = _post(sales_agent, department=department)
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "not_allowed" and body["department"] == [body["detail"]]
    assert not CannedMessage.objects.exists()


def test_api_post_without_department_means_all_departments_and_is_refused(sales_agent):
    body = {"text": "Hi", "category": CannedCategoryFactory().pk}
    response = api_client_for(sales_agent).post("/api/v1/canned-messages/", body, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"


def test_api_post_in_own_department_is_201(sales_agent):
    response = _post(sales_agent, department="sales")
    assert response.status_code == 201 and response.json()["department"] == "sales"


@pytest.mark.parametrize("department", ["support", None])
def test_manager_files_anywhere(manager, department):
    response = _post(manager, department=department)
    assert response.status_code == 201, response.content
    assert response.json()["department"] == department


def test_api_patch_cannot_move_a_message_out(sales_agent):
    message = CannedMessageFactory(department=sales_agent.departments.get())
    api = api_client_for(sales_agent)
    for department in ("support", None):
        url = f"/api/v1/canned-messages/{message.pk}/"
        response = api.patch(url, {"department": department}, format="json")
        assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    message.refresh_from_db()
    assert message.department.slug == "sales"


def test_api_patch_cannot_rewrite_an_all_department_message(sales_agent):
    message = CannedMessageFactory(department=None, text="Opening hours are 9-5.")
    response = api_client_for(sales_agent).patch(
        f"/api/v1/canned-messages/{message.pk}/", {"text": "Log in at https://evil.example/"}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    message.refresh_from_db()
    assert message.text == "Opening hours are 9-5."


def test_api_put_is_not_a_way_around(sales_agent):
    message = CannedMessageFactory(department=sales_agent.departments.get())
    body = {"text": "x", "department": "support", "category": message.category_id}
    response = api_client_for(sales_agent).put(f"/api/v1/canned-messages/{message.pk}/", body, format="json")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    message.refresh_from_db()
    assert message.department.slug == "sales"


def test_new_category_needs_the_add_category_permission(sales_agent):
    agents = sales_agent.user.groups.get(name=AGENTS_GROUP)
    agents.permissions.remove(Permission.objects.get(codename="add_cannedcategory"))
    api = api_client_for(sales_agent)
    body = {"text": "Hi", "department": "sales", "new_category": "Phishing"}
    response = api.post("/api/v1/canned-messages/", body, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_allowed" and "new_category" in response.json()
    assert not CannedCategory.objects.filter(name="Phishing").exists() and not CannedMessage.objects.exists()
    CannedCategoryFactory(name="Greetings")  # reusing an existing one adds nothing: allowed
    body["new_category"] = "greetings"
    assert api.post("/api/v1/canned-messages/", body, format="json").status_code == 201


def test_service_refuses_the_same_way(sales_agent, support):
    with pytest.raises(DomainError) as error:
        services.canned_message_create(
            actor=sales_agent, text="Hi", department=support, category=CannedCategoryFactory()
        )
    assert (error.value.code, error.value.field, error.value.http_status) == ("not_allowed", "department", 403)


def _page_client(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.mark.parametrize("department", ["support", ""])
def test_page_form_refuses_other_departments_with_a_form_error(sales_agent, support, department):
    client = _page_client(sales_agent)
    department_value = support.pk if department else ""
    data = {"text": "Hello", "category": CannedCategoryFactory().pk, "department": department_value}
    response = client.post("/canned/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "only under your own departments" in html or "Only managers may file" in html
    assert not CannedMessage.objects.exists()


def test_page_edit_cannot_move_a_message_out(sales_agent, support):
    message = CannedMessageFactory(department=sales_agent.departments.get(), text="Old")
    data = {"text": "New", "category": message.category.pk, "department": support.pk}
    response = _page_client(sales_agent).post(f"/canned/{message.pk}/edit/", data)
    assert response.status_code == 200 and "only under your own departments" in response.content.decode()
    message.refresh_from_db()
    assert (message.text, message.department.slug) == ("Old", "sales")
