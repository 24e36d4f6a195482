"""One rule for the names people are shown under (helpdesk/platform/validators.py): a visitor's at chat
start, an agent's display name in the admin and from create_agent. Names with nothing visible in
them, with control or text-direction characters, or "System" (the sender of system messages)
are refused with the code `invalid`."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from chat.models import Chat
from helpdesk.actors import SYSTEM
from helpdesk.agents.services import agent_create
from helpdesk.models import Agent
from helpdesk.platform.errors import DomainError
from helpdesk.platform.validators import PERSON_NAME_PATTERN, validate_person_name
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFUSED = {
    "zero-width space only": "\u200b\u200b",
    "zero-width joiners and a BOM": "\u200d\u200c\ufeff",
    "word joiner and spaces": " \u2060 ",
    "Hangul filler": "\u3164",
    "right-to-left override": "Vera\u202eadmin",
    "left-to-right embedding": "\u202aVera",
    "right-to-left isolate": "\u2067Vera\u2069",
    "first strong isolate": "\u2068Vera",
    "a newline": "Vera\nSystem: your chat was moved",
    "System": "System",
    "system": "system",
    "SYSTEM with spaces": "  SYSTEM ",
    "System with a zero-width space inside": "Sys\u200btem",
    "full-width System": "\uff33\uff59\uff53\uff54\uff45\uff4d",
}
ACCEPTED = ["Vera", "José Ñúñez", "李小龍", "محمد", "Systems", "System Admin", "O'Brien", "Anne-Marie"]


@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_refused_names(name):
    with pytest.raises(ValidationError) as error:
        validate_person_name(name)
    assert error.value.code == "invalid"


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_names(name):
    validate_person_name(name)
    assert re.match(PERSON_NAME_PATTERN, name)


@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_the_schema_pattern_states_the_rule(name):
    """The pattern the API schema documents refuses the same names, but for compatibility forms
    (full-width letters), which only the validator folds."""
    if name != REFUSED["full-width System"]:
        assert not re.match(PERSON_NAME_PATTERN, name.strip())


START = {"email": "vera@example.org", "question": "Where is my order?", "department": "sales"}


@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_chat_start_refuses_the_name(sales, name):
    response = APIClient().post("/api/v1/visitor/chats/", {**START, "name": name}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["name"] and body["detail"].startswith("name: ")
    assert not Chat.objects.exists()


@pytest.mark.parametrize(
    "email",
    ["vera@example.org?cc=mallory@evil.example", "vera@example.org,mallory@evil.example", "vera@example.org&cc=x"],
)
def test_chat_start_takes_one_address_only(sales, email):
    response = APIClient().post("/api/v1/visitor/chats/", {**START, "name": "Vera", "email": email}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid" and "email" in response.json()


def test_admin_refuses_the_display_name(agent, sales):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = {
        "user": agent.user.pk,
        "departments": [sales.pk],
        "chat_enabled": "on",
        "max_concurrent_chats": "5",
    }
    url = f"/admin/helpdesk/agent/{agent.pk}/change/"
    for name in ("System", "\u200b", "Alice\u202e"):
        response = client.post(url, {**form, "display_name": name})
        assert response.status_code == 200  # the form again, with its error
        assert response.context["adminform"].form.errors["display_name"]
    assert Agent.objects.get(pk=agent.pk).display_name == "Alice"
    assert client.post(url, {**form, "display_name": "Alice Doe"}).status_code == 302
    assert Agent.objects.get(pk=agent.pk).display_name == "Alice Doe"


def test_agent_create_refuses_the_name(sales):
    with pytest.raises(DomainError) as error:
        agent_create(actor=SYSTEM, username="sys", password="S3cret!pw-long", name="SYSTEM", departments=[sales])
    assert (error.value.code, error.value.field) == ("invalid", "name")
    with pytest.raises(DomainError):
        agent_create(
            actor=SYSTEM, username="system", password="S3cret!pw-long", departments=[sales]
        )  # the username is the name
    with pytest.raises(CommandError, match="reserved"):
        call_command("create_agent", "bob", "--password", "S3cret!pw-long", "--name", "System")
    assert not Agent.objects.exists()
