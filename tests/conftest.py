import uuid

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import Group, Permission

from chat.throttles import ChatStartThrottle
from helpdesk.models import AGENTS_GROUP
from tests.factories import AgentFactory, DepartmentFactory
from tests.support.accounts import AGENTS_GROUP_PERMISSIONS
from tests.support.api import api_client_for
from tests.support.events import RECORDING_CHANNEL_LAYERS
from tests.support.processes import celery_worker_process, daphne_process


@pytest.fixture
def sales(db):
    return DepartmentFactory(name="Sales", slug="sales")


@pytest.fixture
def support(db):
    return DepartmentFactory(name="Support", slug="support")


@pytest.fixture
def agent(sales):
    return AgentFactory(display_name="Alice", departments=[sales])


@pytest.fixture
def other_agent(sales):
    return AgentFactory(display_name="Bob", departments=[sales])


@pytest.fixture(autouse=True)
def _own_chat_start_counts(monkeypatch):
    """Each test counts chat starts afresh, as it has its own database: the limits stay the
    production defaults, but starts of earlier tests (all from 127.0.0.1) do not count."""
    monkeypatch.setattr(ChatStartThrottle, "cache_format", f"throttle_{uuid.uuid4().hex}_%(scope)s_%(ident)s")


@pytest.fixture
def api(agent):
    return api_client_for(agent)


@pytest.fixture
def published(settings):
    """Every event sent to a channel-layer group (after commit), as (group, event) pairs: this
    process's channel layer keeps them in memory instead of sending them to Redis (a server
    process started by a test still uses Redis)."""
    settings.CHANNEL_LAYERS = RECORDING_CHANNEL_LAYERS
    return get_channel_layer().group_sends


# Real processes ------------------------------------------------------------------------------


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    worker = celery_worker_process(tmp_path).start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def _shared_daphne(django_db_setup):
    server = daphne_process()
    yield server
    server.stop()


@pytest.fixture
def daphne_server(transactional_db, _shared_daphne):
    """A Daphne server on the test database, shared by the session's tests: starting one takes
    seconds, and each test still has its data to itself (transactional_db empties the tables).
    Started on first use, and again if a test stopped it and did not start it again."""
    if not _shared_daphne.running:
        _shared_daphne.start()
    return _shared_daphne


def pytest_collection_modifyitems(items):
    # Playwright's sync API keeps an event loop running in the main thread for the whole session,
    # which async tests cannot share: browser tests run last.
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)


@pytest.fixture
def agents_group(transactional_db):
    """The "Agents" group with the permissions its data migration grants. Transactional tests
    flush every table between tests, migration data included, so they ask for it again."""
    group, _ = Group.objects.get_or_create(name=AGENTS_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="canned", codename__in=AGENTS_GROUP_PERMISSIONS)
    )
    return group
