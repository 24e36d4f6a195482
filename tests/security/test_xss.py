"""Visitor text (name, e-mail, question, messages, page URL) carrying script payloads is shown as
text on every server-rendered page that shows it. The dashboard and the visitor page, which render
in the browser, are covered by tests/browser/test_xss.py."""

import pytest
from django.test import Client
from django.utils.html import escape

from tests.factories import UserFactory
from tests.support.payloads import PAYLOADS, RAW_MARKERS

pytestmark = pytest.mark.django_db


def _ids(world) -> dict:
    return {
        "transcript": world.transcript.pk,
        "missed": world.missed.pk,
        "active_chat": world.active.pk,
        "visitor": world.active.visitor_id,
    }


def assert_shown_as_text(html: str, *expected_fields: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html
    for field in expected_fields:
        assert escape(PAYLOADS[field]) in html, f"{field} is not on the page"


@pytest.mark.parametrize(
    "path, fields",
    [
        ("/tickets/?view=all", ["question"]),
        ("/tickets/?view=open", ["question"]),
        ("/tickets/?view=chat-transcripts", ["question"]),
        ("/tickets/?view=missed-chats", ["question"]),
        ("/tickets/?q=Mallory", ["question"]),
        ("/tickets/{transcript}/", ["name", "email", "question", "message"]),
        ("/tickets/{missed}/", ["name", "email", "question"]),
    ],
)
def test_ticket_pages_escape_visitor_text(hostile_world, path, fields):
    client = Client()
    client.force_login(hostile_world.bob.user)
    response = client.get(path.format(**_ids(hostile_world)))
    assert response.status_code == 200
    assert_shown_as_text(response.content.decode(), *fields)


@pytest.mark.parametrize(
    "path, fields",
    [
        ("/admin/chat/chat/", ["question"]),
        ("/admin/chat/chat/{active_chat}/change/", ["question", "message", "page_url"]),
        ("/admin/chat/visitor/", ["name", "email"]),
        ("/admin/chat/visitor/{visitor}/change/", ["name", "email"]),
        ("/admin/tickets/ticket/", ["email"]),
        ("/admin/tickets/ticket/{transcript}/change/", ["name", "email", "message"]),
        ("/admin/tickets/ticket/{missed}/change/", ["name", "email"]),
    ],
)
def test_admin_pages_escape_visitor_text(hostile_world, path, fields):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path.format(**_ids(hostile_world)))
    assert response.status_code == 200
    assert_shown_as_text(response.content.decode(), *fields)


def test_the_page_url_is_never_a_live_link(hostile_world):
    """The admin shows a stored page URL as a link only when it is a valid http(s) URL, escaped."""
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get(f"/admin/chat/chat/{hostile_world.active.pk}/change/").content.decode()
    assert 'href="https://shop.example/p?q="><script>' not in html
    assert "javascript:" not in html.lower()
