"""Every form and every session-authenticated API write needs the CSRF token: a signed-in agent's
browser tricked into posting from another site changes nothing."""

import pytest
from django.test import Client

from tests.support.department_world import build_department

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(support):
    return build_department(support)


def signed_in(agent) -> Client:
    """The agent's browser, with Django's CSRF check on (the test client skips it by default)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    return client


def writes(world) -> list[tuple[str, dict]]:
    """Each page form's target, and API writes the dashboard makes with its session."""
    ticket, canned = world.transcript.pk, world.canned.pk
    return [
        ("/accounts/logout/", {}),
        (f"/tickets/{ticket}/", {"action": "comment", "body": "forged"}),
        ("/canned/new/", {"text": "forged", "shortcut": "forged"}),
        (f"/canned/{canned}/edit/", {"text": "forged"}),
        (f"/canned/{canned}/delete/", {}),
        ("/canned/categories/new/", {"name": "forged"}),
        (f"/api/v1/tickets/{ticket}/comments/", {"body": "forged"}),
        ("/api/v1/canned-messages/", {"text": "forged", "shortcut": "forged"}),
    ]


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(world):
    before = world.state()
    forged = signed_in(world.bob)
    for url, data in writes(world):
        response = forged.post(url, data)
        assert response.status_code == 403, (url, response.status_code)
    assert world.state() == before


def test_the_login_form_needs_the_token_too(world):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_the_same_posts_with_the_token_get_past_the_check(world):
    # The control: without it the test above would pass for any other 403.
    client = signed_in(world.bob)
    client.get("/canned/new/")  # sets the CSRF cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = client.post("/canned/categories/new/", {"name": "Real"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code in (200, 302), response.status_code
    response = client.post(
        f"/api/v1/tickets/{world.transcript.pk}/comments/",
        {"body": "Real note"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201, response.content
