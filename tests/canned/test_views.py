import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from canned.models import CannedCategory, CannedMessage
from helpdesk.actors import SYSTEM
from helpdesk.agents.services import agent_create
from tests.factories import CannedCategoryFactory, CannedMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(sales):
    agent, _ = agent_create(actor=SYSTEM, username="carol", password="pw-123456", name="Carol", departments=[sales])
    client = Client()
    client.force_login(agent.user)
    client.agent = agent
    return client


def test_messages_page_lists_filters_and_searches(client, sales, support):
    refunds = CannedCategoryFactory(name="Refunds")
    CannedMessageFactory(text="Your refund is on its way", category=refunds, department=sales)
    CannedMessageFactory(text="Opening hours are 9-5", department=None)
    html = client.get("/canned/").content.decode()
    for label in ("Messages", "Add Canned Message", "Categories", "Your refund is on its way", "All departments"):
        assert label in html
    assert 'aria-label="Edit"' in html and "Delete" not in html.split("<tbody>")[1]  # no delete permission
    found = client.get("/canned/", {"q": "refund"}).content.decode()
    assert "Your refund" in found and "Opening hours" not in found
    by_category = client.get("/canned/", {"category": refunds.pk}).content.decode()
    assert "Opening hours" not in by_category


def test_add_form_creates_a_message_with_a_new_category(client, sales):
    response = client.post(
        "/canned/new/",
        {
            "text": "Hi {visitor.name}!",
            "department": sales.pk,
            "category": "",
            "new_category": "Greetings",
            "shortcut": "hi",
        },
    )
    assert response.status_code == 302
    message = CannedMessage.objects.get()
    assert (message.category.name, message.department, message.shortcut) == ("Greetings", sales, "hi")


def test_unknown_placeholder_is_a_form_error(client):
    category = CannedCategoryFactory()
    response = client.post("/canned/new/", {"text": "Dear {customer}", "category": category.pk})
    assert response.status_code == 200
    assert "Unknown placeholder {customer}" in response.content.decode()
    assert not CannedMessage.objects.exists()


def test_edit_uses_the_same_form(client, sales):
    message = CannedMessageFactory(text="Old text", department=sales)
    page = client.get(f"/canned/{message.pk}/edit/").content.decode()
    assert "Edit Canned Message" in page and "Old text" in page and "Compose Message" in page
    client.post(
        f"/canned/{message.pk}/edit/", {"text": "New text", "category": message.category.pk, "department": sales.pk}
    )
    message.refresh_from_db()
    assert (message.text, message.department) == ("New text", sales)


def test_categories_page_counts_and_delete_refusal(client):
    category = CannedCategoryFactory(name="Busy")
    CannedMessageFactory.create_batch(2, category=category)
    html = client.get("/canned/categories/").content.decode()
    assert "Add Canned Category" in html and "Busy" in html and "<td>2</td>" in html
    assert client.post(f"/canned/categories/{category.pk}/delete/").status_code == 403  # agents may not delete
    client.agent.user.user_permissions.add(Permission.objects.get(codename="delete_cannedcategory"))
    response = client.post(f"/canned/categories/{category.pk}/delete/", follow=True)
    assert "still holds 2 canned messages" in response.content.decode()
    assert CannedCategory.objects.filter(pk=category.pk).exists()


def test_category_form_refuses_duplicates(client):
    CannedCategoryFactory(name="Billing")
    response = client.post("/canned/categories/new/", {"name": "  BILLING "})
    assert "already exists" in response.content.decode()
    assert CannedCategory.objects.count() == 1
