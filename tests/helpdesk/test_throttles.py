import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from chat.models import Chat
from tests.factories import AgentFactory
from tests.support.api import api_client_for

pytestmark = pytest.mark.django_db

START = {"name": "Vera", "email": "vera@example.org", "question": "Hi?"}


def test_visitor_endpoint_is_limited_per_address_with_retry_after(settings):
    settings.API_RATE_VISITOR = "2/min"
    cache.delete_many(["throttle_visitor_203.0.113.77", "throttle_visitor_203.0.113.78"])  # an earlier run's
    client = APIClient(REMOTE_ADDR="203.0.113.77")
    assert [client.post("/api/v1/visitor/chats/", START, format="json").status_code for _ in range(2)] == [201, 201]
    refused = client.post("/api/v1/visitor/chats/", START, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Chat.objects.count() == 2
    other = APIClient(REMOTE_ADDR="203.0.113.78")  # another visitor is not affected
    assert other.post("/api/v1/visitor/chats/", {**START, "email": "ola@example.org"}, format="json").status_code == 201


def test_tokens_are_limited_per_user(settings, sales):
    settings.API_RATE_USER = "3/min"
    busy, calm = AgentFactory(departments=[sales]), AgentFactory(departments=[sales])
    cache.delete_many([f"throttle_user_{busy.user.pk}", f"throttle_user_{calm.user.pk}"])  # an earlier run's
    api = api_client_for(busy)
    assert [api.get("/api/v1/agents/me/").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/api/v1/chats/")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert api_client_for(calm).get("/api/v1/agents/me/").status_code == 200
