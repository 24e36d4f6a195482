"""Issue 11, finding 11: starting chats is limited per client address and per visitor e-mail
(a handful a minute, a few waiting at once), with the production defaults; over a limit the
answer is 429 with Retry-After and a code, and nothing is written."""

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from chat import services
from chat.models import Chat
from chat.visitor_info import VisitorFacts
from tests.support.concurrency import race

pytestmark = pytest.mark.django_db

URL = "/api/v1/visitor/chats/"


def start(address: str, email: str, **headers):
    body = {"name": "Vera", "email": email, "question": "Where is my order?"}
    return APIClient(REMOTE_ADDR=address, **headers).post(URL, body, format="json")


def answer_all_waiting():
    """Take the waiting chats off the queue, so that only the rate limits are in play."""
    Chat.objects.filter(status=Chat.Status.WAITING).update(status=Chat.Status.MISSED)


def test_production_defaults():
    # What the tests below exercise; tests/conftest.py only gives each test its own counters.
    assert (django_settings.CHAT_START_RATE_IP, django_settings.CHAT_START_RATE_EMAIL) == ("5/min", "5/min")
    assert (django_settings.CHAT_MAX_WAITING_PER_IP, django_settings.CHAT_MAX_WAITING_PER_EMAIL) == (3, 2)
    assert django_settings.API_RATE_VISITOR == "300/min"  # the request limit stays as it was


def test_five_starts_a_minute_per_address():
    for n in range(5):
        assert start("203.0.113.10", f"v{n}@example.org").status_code == 201
        answer_all_waiting()
    refused = start("203.0.113.10", "v9@example.org")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "Too many chats" in refused.json()["detail"]
    assert Chat.objects.count() == 5
    assert start("203.0.113.11", "v9@example.org").status_code == 201  # another address


def test_five_starts_a_minute_per_email_from_any_address():
    for n in range(5):
        assert start(f"198.51.100.{n + 1}", "Vera@Example.org" if n % 2 else "vera@example.org").status_code == 201
        answer_all_waiting()
    refused = start("198.51.100.99", " VERA@example.org ")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled" and "Retry-After" in refused
    assert Chat.objects.count() == 5
    assert start("198.51.100.99", "someone.else@example.org").status_code == 201


def test_three_waiting_per_address():
    for n in range(3):
        assert start("203.0.113.20", f"w{n}@example.org").status_code == 201
    refused = start("203.0.113.20", "w9@example.org")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "too_many_waiting" and "3 chats" in body["detail"]
    assert 0 < int(refused["Retry-After"]) <= django_settings.CHAT_MISSED_AFTER_SECONDS
    assert Chat.objects.count() == 3
    Chat.objects.filter(visitor__email="w0@example.org").update(status=Chat.Status.ACTIVE)  # one was answered
    assert start("203.0.113.20", "w9@example.org").status_code == 201


def test_two_waiting_per_email_ignoring_case():
    assert start("192.0.2.1", "ana@example.org").status_code == 201
    assert start("192.0.2.2", "ANA@example.org").status_code == 201
    refused = start("192.0.2.3", "Ana@Example.org")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_waiting"
    assert "Retry-After" in refused and Chat.objects.count() == 2


def test_the_address_follows_trusted_proxy_count(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the client's address; what the client put before it is not trusted.
    for n in range(3):
        response = start("10.0.0.1", f"p{n}@example.org", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.30")
        assert response.status_code == 201
    refused = start("10.0.0.1", "p9@example.org", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.30")
    assert refused.json()["code"] == "too_many_waiting"
    assert start("10.0.0.1", "p9@example.org", HTTP_X_FORWARDED_FOR="203.0.113.31").status_code == 201


def test_limits_can_be_switched_off(settings):
    settings.CHAT_START_RATE_IP = settings.CHAT_START_RATE_EMAIL = ""
    settings.CHAT_MAX_WAITING_PER_IP = settings.CHAT_MAX_WAITING_PER_EMAIL = 0
    assert all(start("203.0.113.40", "same@example.org").status_code == 201 for _ in range(8))


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_cannot_overrun_the_waiting_limit():
    facts = VisitorFacts("203.0.113.50", "", "", "", "")

    def start_one():
        services.chat_start(name="Vera", email="race@example.org", question="?", department=None, facts=facts)

    outcomes = race(*[start_one] * 6)
    assert sorted(outcomes) == ["ok", "ok"] + ["too_many_waiting"] * 4
    assert Chat.objects.filter(status=Chat.Status.WAITING).count() == 2
