"""A bounded schemathesis run against our own OpenAPI schema with every check schemathesis has:
no request, however odd, gets a 5xx; every status code, content type, header and body is the
documented one; whatever the schema allows is accepted (no 400) and whatever it forbids is
refused; and the rest (missing headers, unsupported methods and their Allow header, a deleted
object staying gone, a created one being there, authentication not being ignored).

The suite's run is small (max_examples below) and derandomized; before a change to the API,
run it with many more examples, or the CLI against a live server (docs/api.md, at the top).
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

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
    settings.TRANSCRIPT_EMAIL_RATE_IP = ""
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
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_request_within_its_schema(case, token):
    # No `checks=`: schemathesis then runs every check it has (all are enabled by default),
    # positive and negative data alike (both generation modes are the default too).
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
