"""API tokens: stored as hashes, shown once, revocable by managers, never readable."""

import importlib
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk.actors import SYSTEM
from helpdesk.agents import services
from helpdesk.asgi import application
from helpdesk.models import ApiToken
from tests.factories import UserFactory
from tests.support.sockets import close_code_or_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client():
    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name="Managers"))
    client = Client()
    client.force_login(manager)
    return client


def get_me(key: str):
    return APIClient().get("/api/v1/agents/me/", HTTP_AUTHORIZATION=f"Token {key}")


def test_managers_never_see_a_key(manager_client, sales):
    _, token = services.agent_create(actor=SYSTEM, username="carol", password="pw-123456", departments=[sales])
    _, boss = services.agent_create(actor=SYSTEM, username="boss", password="pw-123456", is_superuser=True)
    for url in (
        "/admin/",
        "/admin/authtoken/tokenproxy/",
        f"/admin/authtoken/tokenproxy/{token.user.pk}/change/",
        "/admin/helpdesk/apitoken/",
        f"/admin/helpdesk/apitoken/{token.pk}/change/",
        f"/admin/helpdesk/apitoken/{boss.pk}/change/",
    ):
        body = manager_client.get(url, follow=True).content.decode()
        assert token.key not in body and boss.key not in body, url
    assert not Token.objects.exists()  # no plain key is stored anywhere


def test_keys_are_stored_as_sha256_only(sales):
    agent, token = services.agent_create(actor=SYSTEM, username="carol", password="pw-123456", departments=[sales])
    stored = ApiToken.objects.get(user=agent.user)
    assert re.fullmatch(r"[0-9a-f]{40}", token.key)
    assert stored.key_hash == ApiToken.hash_key(token.key) != token.key
    assert stored.prefix == token.key[:8] and not hasattr(stored, "key")


def test_the_header_contract_is_unchanged_and_use_is_recorded(agent):
    assert ApiToken.objects.get(user=agent.user).last_used_at is None
    response = get_me(agent.api_key)
    assert response.status_code == 200 and response.json()["id"] == agent.pk
    assert ApiToken.objects.get(user=agent.user).last_used_at is not None
    for wrong in ("0" * 40, agent.api_key[:-1], ApiToken.objects.get(user=agent.user).key_hash):
        refused = get_me(wrong)
        assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
        assert refused["WWW-Authenticate"] == "Token"
    agent.user.is_active = False
    agent.user.save()
    assert get_me(agent.api_key).status_code == 401


@pytest.mark.django_db(transaction=True)
async def test_agent_socket_accepts_the_key_and_not_its_hash(agent):
    key_hash = await database_sync_to_async(lambda: ApiToken.objects.get(user=agent.user).key_hash)()
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]
    accepted = WebsocketCommunicator(application, f"/ws/agent/?token={agent.api_key}", headers=headers)
    assert (await accepted.connect(timeout=5))[0]
    assert await close_code_or_open(accepted) is None  # open: it answers a frame sent now
    await accepted.disconnect()
    refused = WebsocketCommunicator(application, f"/ws/agent/?token={key_hash}", headers=headers)
    await refused.connect(timeout=5)
    assert await refused.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


def test_manager_adds_a_token_sees_its_key_once_and_revokes_it(manager_client, agent):
    response = manager_client.post("/admin/helpdesk/apitoken/add/", {"user": agent.user.pk}, follow=True)
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    key = re.search(r"\b[0-9a-f]{40}\b", " ".join(shown)).group(0)
    assert get_me(key).status_code == 200
    assert key not in manager_client.get("/admin/helpdesk/apitoken/").content.decode()  # once only
    created = ApiToken.objects.get(key_hash=ApiToken.hash_key(key))
    response = manager_client.post(f"/admin/helpdesk/apitoken/{created.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert get_me(key).status_code == 401
    assert get_me(agent.api_key).status_code == 200  # the agent's other token is untouched


def test_managers_cannot_mint_a_superusers_token(manager_client):
    boss = UserFactory(is_superuser=True, is_staff=True)
    response = manager_client.post("/admin/helpdesk/apitoken/add/", {"user": boss.pk})
    assert response.status_code == 200 and response.context["adminform"].form.errors["user"]
    assert not ApiToken.objects.filter(user=boss).exists()


def test_managers_may_view_add_and_delete_tokens_but_not_change_them():
    codenames = set(Group.objects.get(name="Managers").permissions.values_list("codename", flat=True))
    assert {"view_apitoken", "add_apitoken", "delete_apitoken"} <= codenames
    assert "change_apitoken" not in codenames
    assert not {"view_token", "view_tokenproxy", "add_token", "change_token"} & codenames


def test_migration_hashes_the_existing_drf_tokens(agent):
    old = Token.objects.create(user=UserFactory(), key="0123456789abcdef0123456789abcdef01234567")
    migration = importlib.import_module("helpdesk.migrations.0004_api_tokens")
    migration.hash_drf_tokens(apps, None)
    assert not Token.objects.exists()
    hashed = ApiToken.objects.get(user=old.user)
    assert hashed.key_hash == ApiToken.hash_key(old.key) and hashed.prefix == "01234567"
    assert hashed.created_at == old.created
