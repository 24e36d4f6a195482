"""Managers in the admin (issue 15): adding an agent is one form (user and agent profile together,
with a password or an e-mailed link to set one); a manager sets an agent's chat status through the
chat service; a department's starting status of answered chats' tickets."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client

from helpdesk.models import AGENTS_GROUP, Agent, Department
from helpdesk.platform.events import agent_group
from tests.factories import AgentFactory, UserFactory
from tests.support.events import frames_to

pytestmark = pytest.mark.django_db
ADD = "/admin/helpdesk/agent/add/"
PASSWORD = "Tr1cky-pass-phrase"


@pytest.fixture
def manager(sales):
    manager = AgentFactory(display_name="Mona", departments=[sales])
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(Group.objects.get(name="Managers"))
    return manager


@pytest.fixture
def client(manager):
    client = Client()
    client.force_login(manager.user)
    return client


@pytest.fixture
def reset_on(settings):
    settings.PASSWORD_RESET_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def form(**changes):
    data = {
        "username": "carol",
        "display_name": "Carol Smith",
        "email": "carol@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "departments": [],
        "chat_enabled": "on",
        "max_concurrent_chats": "3",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_add_agent_form_creates_user_and_agent_together(client, sales, support):
    page = client.get(ADD)
    assert page.status_code == 200
    fields = page.context["adminform"].form.fields
    assert {"username", "display_name", "email", "password1", "password2", "email_password_link"} <= set(fields)
    assert {"departments", "chat_enabled", "max_concurrent_chats"} <= set(fields) and "user" not in fields
    response = client.post(ADD, form(departments=[sales.pk, support.pk]))
    assert response.status_code == 302
    agent = Agent.objects.get(user__username="carol")
    assert (agent.display_name, agent.user.email, agent.chat_enabled, agent.max_concurrent_chats) == (
        "Carol Smith",
        "carol@example.org",
        True,
        3,
    )
    assert agent.chat_status == "offline" and set(agent.departments.all()) == {sales, support}
    assert agent.user.check_password(PASSWORD) and not agent.user.is_staff
    assert list(agent.user.groups.values_list("name", flat=True)) == [AGENTS_GROUP]
    assert client.get(f"/admin/helpdesk/agent/{agent.pk}/change/").status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "user0"}, "username"),  # taken (the manager's own user, or another's)
        ({"username": "bad name!"}, "username"),
        ({"display_name": "System"}, "display_name"),
        ({"password2": "something-else-1"}, "password2"),
        ({"password1": "", "password2": ""}, "password1"),
        ({"password1": "123", "password2": "123"}, "password1"),  # the password validators
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_add_agent_form_errors_create_nothing(client, manager, changes, field):
    if changes.get("username") == "user0":
        changes = {"username": manager.user.username.upper()}
    users = get_user_model().objects.count()
    response = client.post(ADD, form(**changes))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert get_user_model().objects.count() == users and not Agent.objects.filter(display_name="Carol Smith").exists()


def test_add_agent_with_an_emailed_set_password_link(client, reset_on, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, form(password1="", password2="", email_password_link="on"), follow=True)
    assert "A link to set a password is being e-mailed to carol@example.org." in response.content.decode()
    user = get_user_model().objects.get(username="carol")
    assert user.has_usable_password() and not user.check_password("")  # a password nobody knows
    [sent] = mail.outbox
    assert sent.to == ["carol@example.org"] and "set your password" in sent.subject
    assert "Carol Smith" in sent.body and "carol" in sent.body
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", sent.body).group(1)
    visitor = Client()
    chosen = visitor.get(link, follow=True)
    assert chosen.status_code == 200 and chosen.context["validlink"]
    done = visitor.post(chosen.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_link_needs_an_address_and_no_password(client, reset_on):
    response = client.post(ADD, form(email="", password1="", password2="", email_password_link="on"))
    assert response.context["adminform"].form.errors["email"]
    response = client.post(ADD, form(email_password_link="on"))
    assert response.context["adminform"].form.errors["password1"]
    assert not get_user_model().objects.filter(username="carol").exists() and not mail.outbox


def test_no_link_while_password_reset_is_off(client, settings):
    settings.PASSWORD_RESET_ENABLED = False
    page = client.get(ADD)
    assert page.context["adminform"].form.fields["email_password_link"].disabled
    response = client.post(ADD, form(password1="", password2="", email_password_link="on"))
    assert response.status_code == 200 and response.context["adminform"].form.errors["password1"]
    assert not get_user_model().objects.filter(username="carol").exists() and not mail.outbox


def change_form(client, agent, **changes):
    url = f"/admin/helpdesk/agent/{agent.pk}/change/"
    current = client.get(url).context["adminform"].form
    data = {
        "user": agent.user_id,
        "display_name": agent.display_name,
        "departments": [d.pk for d in agent.departments.all()],
        "max_concurrent_chats": agent.max_concurrent_chats,
        "chat_status": current["chat_status"].value() if "chat_status" in current.fields else None,
    }
    if agent.chat_enabled:
        data["chat_enabled"] = "on"
    data.update(changes)
    return client.post(url, {key: value for key, value in data.items() if value is not None})


def test_a_manager_sets_an_agent_offline_through_the_chat_service(
    client, agent, published, django_capture_on_commit_callbacks
):
    assert agent.chat_status == "online"
    with django_capture_on_commit_callbacks(execute=True):
        response = change_form(client, agent, chat_status="offline")
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.chat_status == "offline"
    assert {"type": "agent.status", "chat_status": "offline", "ringer": True} in frames_to(
        published, agent_group(agent.pk)
    )
    change_form(client, agent, chat_status="online")
    agent.refresh_from_db()
    assert agent.chat_status == "online"


def test_saving_other_fields_keeps_the_agents_own_status(client, agent):
    url = f"/admin/helpdesk/agent/{agent.pk}/change/"
    seen = client.get(url).context["adminform"].form["chat_status"].value()
    assert seen == "online"
    response = change_form(client, agent, display_name="Alice Doe", chat_status=None)  # status left out
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.display_name, agent.chat_status) == ("Alice Doe", "online")


def test_only_agents_enabled_for_chat_have_a_status(client, sales):
    quiet = AgentFactory(departments=[sales], chat_enabled=False, chat_status="offline")
    response = change_form(client, quiet, chat_status="online")
    assert response.status_code == 200 and response.context["adminform"].form.errors["chat_status"]
    quiet.refresh_from_db()
    assert quiet.chat_status == "offline"


def test_department_admin_edits_the_answered_ticket_status(client, sales):
    url = f"/admin/helpdesk/department/{sales.pk}/change/"
    page = client.get(url)
    assert "answered_ticket_status" in page.context["adminform"].form.fields
    assert "missed, abandoned and offline-message tickets start Open" in page.content.decode()
    data = {
        "name": "Sales",
        "slug": "sales",
        "routing": "broadcast",
        "answered_ticket_status": "on_hold",
        "greeting": "Hi",
        "away_message": "",
        "widget_colour": "#2563eb",
        "time_zone": "UTC",
        "opening_hours-TOTAL_FORMS": "0",
        "opening_hours-INITIAL_FORMS": "0",
        "closed_dates-TOTAL_FORMS": "0",
        "closed_dates-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Department.objects.get(pk=sales.pk).answered_ticket_status == "on_hold"
    assert "On Hold" in client.get("/admin/helpdesk/department/").content.decode()


def test_staff_without_the_permission_cannot_add_agents(sales):
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(ADD).status_code == 403


def test_without_the_monitor_permission_the_status_is_read_only(agent):
    staff = AgentFactory(display_name="Sam Staff").user
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_agent", "change_agent"]))
    client = Client()
    client.force_login(staff)
    page = client.get(f"/admin/helpdesk/agent/{agent.pk}/change/")
    assert page.status_code == 200 and "chat_status" not in page.context["adminform"].form.fields
    response = change_form(client, agent, chat_status="offline")
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.chat_status == "online"
