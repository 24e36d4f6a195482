"""A bounded schemathesis run against our own OpenAPI schema: no request, however odd, gets a
5xx, and no response contradicts the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import AgentFactory, DepartmentFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def token(db, settings):
    # As Django's test client does: the WSGI handler must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    settings.API_RATE_USER = ""  # this run is the only caller; no limit
    settings.API_RATE_VISITOR = ""
    settings.CHAT_START_RATE_IP = settings.CHAT_START_RATE_EMAIL = ""  # it starts hundreds of chats
    settings.CHAT_MAX_WAITING_PER_IP = settings.CHAT_MAX_WAITING_PER_EMAIL = 0
    sales = DepartmentFactory(name="Sales", slug="sales")
    agent = AgentFactory(departments=[sales])
    agent.user.is_superuser = True  # sees everything, so ids that exist get past the 404s
    agent.user.save()
    yield agent.api_key
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_request_within_its_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
