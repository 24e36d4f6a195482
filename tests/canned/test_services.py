import pytest
from django.contrib.auth.models import Permission

from canned import services
from canned.models import CannedCategory, CannedMessage
from canned.placeholders import fill
from helpdesk.errors import DomainError
from tests.factories import CannedCategoryFactory, CannedMessageFactory

pytestmark = pytest.mark.django_db


def test_category_names_are_trimmed_and_unique_ignoring_case():
    category = services.canned_category_create(name="  Billing   questions ")
    assert category.name == "Billing questions"
    with pytest.raises(DomainError) as error:
        services.canned_category_create(name="billing QUESTIONS")
    assert (error.value.code, error.value.field) == ("duplicate", "name")
    other = services.canned_category_create(name="Shipping")
    with pytest.raises(DomainError):
        services.canned_category_rename(category=other, name="BILLING questions")
    assert CannedCategory.objects.count() == 2


def test_deleting_a_category_with_messages_is_refused_with_the_count():
    category = CannedCategoryFactory(name="Refunds")
    CannedMessageFactory.create_batch(3, category=category)
    with pytest.raises(DomainError) as error:
        services.canned_category_delete(category=category)
    assert error.value.code == "category_not_empty" and "3 canned messages" in error.value.detail
    CannedMessage.objects.all().delete()
    services.canned_category_delete(category=category)
    assert not CannedCategory.objects.exists()


def test_message_with_a_new_category_typed_in_place(sales, agent):
    agent.user.user_permissions.add(Permission.objects.get(codename="add_cannedcategory"))
    message = services.canned_message_create(
        text="Hi {visitor.name}, I'm {agent.name} from {department}.",
        department=sales,
        new_category_name=" Greetings ",
        shortcut="Hello",
        by=agent,
    )
    assert message.category.name == "Greetings" and message.shortcut == "hello"
    again = services.canned_message_create(
        text="Welcome back!", department=None, new_category_name="greetings", by=None
    )
    assert again.category == message.category  # found, ignoring case


@pytest.mark.parametrize(
    ("text", "field"),
    [("", "text"), ("   ", "text"), ("Hello {visitor.phone}", "text"), ("{agent}", "text"), ("x" * 5001, "text")],
)
def test_bad_text_is_a_form_error_at_save_time(text, field):
    category = CannedCategoryFactory()
    with pytest.raises(DomainError) as error:
        services.canned_message_create(text=text, department=None, category=category, by=None)
    assert error.value.field == field
    assert not CannedMessage.objects.exists()


def test_unknown_placeholder_error_names_it():
    with pytest.raises(DomainError) as error:
        services.canned_message_create(
            text="Dear {customer}", department=None, category=CannedCategoryFactory(), by=None
        )
    assert error.value.code == "unknown_placeholder" and "{customer}" in error.value.detail


def test_category_is_required_and_shortcut_must_be_simple():
    with pytest.raises(DomainError) as error:
        services.canned_message_create(text="Hi", department=None, by=None)
    assert error.value.field == "category"
    with pytest.raises(DomainError) as error:
        services.canned_message_create(
            text="Hi", department=None, category=CannedCategoryFactory(), shortcut="two words", by=None
        )
    assert error.value.field == "shortcut"


def test_fill_replaces_known_placeholders_only():
    values = {"visitor.name": "Vera", "agent.name": "Alice", "department": "Sales", "visitor.email": "v@x.org"}
    assert fill("Hi {visitor.name}, {agent.name} ({department}) {other}", values) == "Hi Vera, Alice (Sales) {other}"
