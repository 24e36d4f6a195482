"""A second department's world (tests/support/department_world.py) that an agent of the first
must not reach, and visitor text carrying script payloads (tests/support/payloads.py)."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import AgentFactory
from tests.support.department_world import build_department
from tests.support.payloads import PAYLOADS


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every agent here gets a password; the default hasher would make these tests slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def outsider(sales):
    """An agent of Sales with every canned permission, so refusals come from the department rule."""
    agent = AgentFactory(display_name="Alice", departments=[sales])
    agent.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="canned"))
    return agent


@pytest.fixture
def support_world(support):
    return build_department(support)


@pytest.fixture
def hostile_world(support):
    return build_department(support, visitor_text=PAYLOADS)
