import pytest
from django.contrib.auth.models import Permission

from canned import services
from canned.models import CannedCategory, CannedMessage
from helpdesk.actors import SYSTEM
from helpdesk.platform.errors import DomainError
from tests.factories import CannedCategoryFactory, CannedMessageFactory

pytestmark = pytest.mark.django_db


def test_category_names_are_trimmed_and_unique_ignoring_case():
    category = services.canned_category_create(actor=SYSTEM, name="  Billing   questions ")
    assert category.name == "Billing questions"
    with pytest.raises(DomainError) as error:
        services.canned_category_create(actor=SYSTEM, name="billing QUESTIONS")
    assert (error.value.code, error.value.field) == ("duplicate", "name")
    other = services.canned_category_create(actor=SYSTEM, name="Shipping")
    with pytest.raises(DomainError):
        services.canned_category_rename(actor=SYSTEM, category_id=other.pk, name="BILLING questions")
    assert CannedCategory.objects.count() == 2


def test_deleting_a_category_with_messages_is_refused_with_the_count():
    category = CannedCategoryFactory(name="Refunds")
    CannedMessageFactory.create_batch(3, category=category)
    with pytest.raises(DomainError) as error:
        services.canned_category_delete(actor=SYSTEM, category_id=category.pk)
    assert error.value.code == "category_not_empty" and "3 canned messages" in error.value.detail
    CannedMessage.objects.all().delete()
    services.canned_category_delete(actor=SYSTEM, category_id=category.pk)
    assert not CannedCategory.objects.exists()


def test_message_with_a_new_category_typed_in_place(sales, agent):
    agent.user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_cannedmessage", "add_cannedcategory"])
    )
    message = services.canned_message_create(
        actor=agent,
        text="Hi {visitor.name}, I'm {agent.name} from {department}.",
        department=sales,
        new_category_name=" Greetings ",
        shortcut="Hello",
    )
    assert message.category.name == "Greetings" and message.shortcut == "hello"
    again = services.canned_message_create(
        actor=SYSTEM, text="Welcome back!", department=None, new_category_name="greetings"
    )
    assert again.category == message.category  # found, ignoring case


@pytest.mark.parametrize(
    ("text", "field"),
    [("", "text"), ("   ", "text"), ("Hello {visitor.phone}", "text"), ("{agent}", "text"), ("x" * 5001, "text")],
)
def test_bad_text_is_a_form_error_at_save_time(text, field):
    category = CannedCategoryFactory()
    with pytest.raises(DomainError) as error:
        services.canned_message_create(actor=SYSTEM, text=text, department=None, category=category)
    assert error.value.field == field
    assert not CannedMessage.objects.exists()


def test_unknown_placeholder_error_names_it():
    with pytest.raises(DomainError) as error:
        services.canned_message_create(
            actor=SYSTEM, text="Dear {customer}", department=None, category=CannedCategoryFactory()
        )
    assert error.value.code == "unknown_placeholder" and "{customer}" in error.value.detail


def test_category_is_required_and_shortcut_must_be_simple():
    with pytest.raises(DomainError) as error:
        services.canned_message_create(actor=SYSTEM, text="Hi", department=None)
    assert error.value.field == "category"
    with pytest.raises(DomainError) as error:
        services.canned_message_create(
            actor=SYSTEM, text="Hi", department=None, category=CannedCategoryFactory(), shortcut="two words"
        )
    assert error.value.field == "shortcut"


def test_a_message_the_agent_cannot_see_is_not_found(support, agent):
    message = CannedMessageFactory(department=support, text="Support-only answer")
    codenames = ["change_cannedmessage", "delete_cannedmessage"]
    agent.user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    for change in (
        lambda: services.canned_message_update(actor=agent, message_id=message.pk, text="pwned"),
        lambda: services.canned_message_delete(actor=agent, message_id=message.pk),
    ):
        with pytest.raises(DomainError) as error:
            change()
        assert error.value.code == "not_found"
    assert CannedMessage.objects.get().text == "Support-only answer"


def test_writes_take_the_model_permission(sales, agent):
    message = CannedMessageFactory(department=sales)
    with pytest.raises(DomainError) as error:
        services.canned_message_delete(actor=agent, message_id=message.pk)
    assert error.value.code == "not_allowed"
    assert CannedMessage.objects.exists()


def test_an_update_keeps_what_it_is_not_given(sales, agent):
    agent.user.user_permissions.add(Permission.objects.get(codename="change_cannedmessage"))
    message = CannedMessageFactory(department=sales, text="Hello", shortcut="hi")
    services.canned_message_update(actor=agent, message_id=message.pk, text="Hello again")
    message.refresh_from_db()
    assert (message.text, message.shortcut, message.department) == ("Hello again", "hi", sales)
