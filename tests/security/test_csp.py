"""Every page carries a Content-Security-Policy: scripts, styles, sockets and frames from the site
itself only, no inline script or style, framed nowhere but the visitor chat page (by the widget's
sites). tests/browser/test_csp.py loads the pages in Chromium and checks nothing is refused."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from chat import services
from tests.factories import AgentFactory, CannedMessageFactory, UserFactory, accepted_chat

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in filter(None, (part.strip() for part in policy.split(";"))):
        name, *values = part.split()
        assert name not in parsed, f"{name} twice in {policy!r}"
        parsed[name] = values
    return parsed


def assert_strict(policy: dict[str, list[str]], *, frame_ancestors: list[str]) -> None:
    assert policy["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src", "connect-src", "frame-src"):
        assert directive not in policy, f"{directive} would widen default-src"  # so they are 'self'
    assert all("'unsafe-" not in value for values in policy.values() for value in values), policy
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == frame_ancestors


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(sales):
    manager = AgentFactory(display_name="Mona", departments=[sales], user__is_staff=True, user__is_superuser=True)
    manager.user.user_permissions.add(*Permission.objects.filter(content_type__app_label="canned"))
    return manager


def test_every_page_has_the_policy(manager, sales):
    chat = accepted_chat(agent=manager, department=sales)
    services.chat_end(actor=manager, chat_id=chat.pk)
    canned = CannedMessageFactory(department=sales)
    agent_pages = [
        "/agent/",
        "/tickets/",
        f"/tickets/{chat.ticket.pk}/",
        "/canned/",
        "/canned/new/",
        f"/canned/{canned.pk}/edit/",
        "/canned/categories/",
        "/admin/",
        "/admin/helpdesk/agent/",
        f"/admin/helpdesk/agent/{manager.pk}/change/",
        "/api/docs/",
    ]
    client = signed_in(manager.user)
    for path in agent_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["X-Frame-Options"] == "DENY", path
        assert_strict(directives(response), frame_ancestors=["'none'"])
    for path in ["/accounts/login/", "/admin/login/", "/demo/", "/no-such-page/"]:
        response = Client().get(path)
        assert_strict(directives(response), frame_ancestors=["'none'"])
    assert_strict(directives(signed_in(UserFactory()).get("/agent/")), frame_ancestors=["'none'"])  # 403


def test_visitor_page_may_be_framed_by_the_widget_sites_only(settings, sales):
    settings.WIDGET_ALLOWED_ORIGINS = ["https://shop.example", "https://www.example.com"]
    response = Client().get("/chat/?embed=1&department=sales")
    assert "X-Frame-Options" not in response
    assert_strict(directives(response), frame_ancestors=["'self'", "https://shop.example", "https://www.example.com"])
    settings.WIDGET_ALLOWED_ORIGINS = []
    assert_strict(directives(Client().get("/chat/")), frame_ancestors=["'self'"])


def test_browsable_api_may_apply_inline_styles_but_scripts_stay_strict(manager):
    """DRF's HTML rendering of the API brings an inline <style> of its own; JSON answers need no policy."""
    client = signed_in(manager.user)
    page = directives(client.get("/api/v1/departments/", HTTP_ACCEPT="text/html"))
    assert page.pop("style-src") == ["'self'", "'unsafe-inline'"]
    assert_strict(page, frame_ancestors=["'none'"])


def test_swagger_ui_start_up_script_is_a_file(manager):
    client = signed_in(manager.user)
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page and "<style>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
