"""Brute force on password sign-in: locked out per account and per address (django-axes)."""

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # UserFactory's


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every attempt checks a password; at production strength that is most of this module's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(username: str, password: str, address: str = "203.0.113.5", path: str = "/accounts/login/", **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(path, {"username": username, "password": password, "next": "/agent/"})
    return response, client


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_after_the_limit_even_the_right_password_is_refused(agent, path):
    agent.user.is_staff = True
    agent.user.save()
    for attempt in range(1, 6):
        response, _ = sign_in(agent.user.username, f"guess-{attempt}", path=path)
        assert response.status_code == (429 if attempt == 5 else 200), attempt
    response, client = sign_in(agent.user.username, PASSWORD, path=path)
    assert response.status_code == 429 and not signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and "15 minutes" in page and "<form" not in page


def test_below_the_limit_the_right_password_signs_in(agent):
    for attempt in range(4):
        sign_in(agent.user.username, f"guess-{attempt}")
    response, client = sign_in(agent.user.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_one_account_is_locked_from_every_address(agent):
    for n in range(5):
        sign_in(agent.user.username, "wrong", address=f"198.51.100.{n}")
    response, client = sign_in(agent.user.username, PASSWORD, address="192.0.2.77")
    assert response.status_code == 429 and not signed_in(client)
    other = UserFactory()  # other accounts still sign in from those addresses
    assert signed_in(sign_in(other.username, PASSWORD, address="198.51.100.1")[1])


def test_one_address_is_locked_for_every_account(agent):
    for n in range(5):
        sign_in(f"nobody-{n}", "wrong", address="203.0.113.9")
    response, client = sign_in(agent.user.username, PASSWORD, address="203.0.113.9")
    assert response.status_code == 429 and not signed_in(client)
    assert signed_in(sign_in(agent.user.username, PASSWORD, address="203.0.113.10")[1])


def test_ipv6_clients_are_counted_per_64(agent):
    for n in range(5):
        sign_in(f"nobody-{n}", "wrong", address=f"2001:db8:1:2::{n + 1}")
    assert sign_in(agent.user.username, PASSWORD, address="2001:db8:1:2:ffff::9")[0].status_code == 429
    assert signed_in(sign_in(agent.user.username, PASSWORD, address="2001:db8:1:3::1")[1])


def test_forwarded_for_counts_only_behind_a_trusted_proxy(agent, settings):
    for n in range(5):  # no trusted proxy: a forged header does not spread the count
        sign_in(f"nobody-{n}", "wrong", address="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert sign_in(agent.user.username, PASSWORD, address="10.0.0.2")[0].status_code == 429
    AccessAttempt.objects.all().delete()
    settings.TRUSTED_PROXY_COUNT = 1  # behind one proxy: the client is the address it saw
    for n in range(5):
        sign_in(f"nobody-{n}", "wrong", address="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66")
    assert (
        sign_in(agent.user.username, PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66")[0].status_code
        == 429
    )
    _, client = sign_in(agent.user.username, PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.67")
    assert signed_in(client)


def test_the_lockout_ends_after_the_cool_off(agent, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for n in range(5):
        sign_in(agent.user.username, f"guess-{n}")
    assert sign_in(agent.user.username, PASSWORD)[0].status_code == 429
    time.sleep(1.1)
    assert signed_in(sign_in(agent.user.username, PASSWORD)[1])


def test_a_manager_unlocks_in_the_admin(agent):
    for n in range(5):
        sign_in(agent.user.username, f"guess-{n}")
    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name="Managers"))
    admin = Client()
    admin.force_login(manager)
    listing = admin.get("/admin/axes/accessattempt/?locked_out=yes")
    assert listing.status_code == 200 and agent.user.username in listing.content.decode()
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = admin.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    assert signed_in(sign_in(agent.user.username, PASSWORD)[1])


def test_api_tokens_and_anonymous_endpoints_are_not_affected(agent):
    for n in range(5):
        sign_in(agent.user.username, f"guess-{n}", address="127.0.0.1")
    token = APIClient(REMOTE_ADDR="127.0.0.1")
    token.credentials(HTTP_AUTHORIZATION=f"Token {agent.api_key}")
    assert token.get("/api/v1/agents/me/").status_code == 200
    assert APIClient(REMOTE_ADDR="127.0.0.1").get("/api/v1/departments/").status_code == 200
    start = {"name": "Vera", "email": "vera@example.org", "question": "Hi?"}
    assert APIClient(REMOTE_ADDR="127.0.0.1").post("/api/v1/visitor/chats/", start, format="json").status_code == 201
