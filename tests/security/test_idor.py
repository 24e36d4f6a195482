"""No access across departments: an agent of Sales reaches nothing of Support's through pages,
the REST API or the agent socket, and a visitor token opens only its own chat. Every URL with an
object id is listed here; a new one fails `test_every_url_with_an_id_is_covered`."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from tests.support.api import api_client_for
from tests.support.department_world import build_department
from tests.support.sockets import (
    agent_socket,
    assert_closed_with,
    connect,
    frames_before_marker,
    probe,
    receive_type,
    visitor_socket,
)

# (method, path, JSON body); ids are filled from the Support world.
API_CASES = [
    ("GET", "/api/v1/chats/{active}/", None),
    ("GET", "/api/v1/chats/{active}/messages/", None),
    ("POST", "/api/v1/chats/{active}/messages/", {"body": "pwned", "client_id": "x"}),
    ("GET", "/api/v1/chats/{active}/visitor-info/", None),
    ("POST", "/api/v1/chats/{waiting}/accept/", None),
    ("POST", "/api/v1/chats/{active}/end/", {"delay_seconds": 0}),
    ("POST", "/api/v1/chats/{active}/end/", {"delay_seconds": 60}),
    ("POST", "/api/v1/chats/{active}/cancel-end/", None),
    ("POST", "/api/v1/chats/{active2}/transfer/", {"agent": "{me}"}),
    ("POST", "/api/v1/chats/{active2}/invite/", {"agents": ["{me}"]}),
    ("POST", "/api/v1/chats/{active2}/leave/", None),
    ("POST", "/api/v1/transfers/{transfer}/accept/", None),
    ("POST", "/api/v1/transfers/{transfer}/decline/", None),
    ("POST", "/api/v1/transfers/{transfer}/withdraw/", None),
    ("POST", "/api/v1/invitations/{invitation}/accept/", None),
    ("POST", "/api/v1/invitations/{invitation}/decline/", None),
    ("GET", "/api/v1/tickets/{transcript}/", None),
    ("PATCH", "/api/v1/tickets/{transcript}/", {"status": "closed"}),
    ("PATCH", "/api/v1/tickets/{missed}/", {"assignee": "{me}"}),
    ("POST", "/api/v1/tickets/{transcript}/comments/", {"body": "pwned"}),
    ("POST", "/api/v1/tickets/{missed}/replies/", {"body": "pwned"}),
    ("GET", "/api/v1/canned-messages/{canned}/", None),
    ("PATCH", "/api/v1/canned-messages/{canned}/", {"text": "pwned"}),
    ("DELETE", "/api/v1/canned-messages/{canned}/", None),
]

# (method, path, form data); the agent is signed in with the session.
PAGE_CASES = [
    ("GET", "/tickets/{transcript}/", None),
    ("GET", "/tickets/{missed}/", None),
    ("POST", "/tickets/{transcript}/", {"action": "update", "status": "closed", "assignee": ""}),
    ("POST", "/tickets/{transcript}/", {"action": "comment", "comment-body": "pwned"}),
    ("POST", "/tickets/{missed}/", {"action": "reply", "reply-body": "pwned"}),
    ("GET", "/canned/{canned}/edit/", None),
    ("POST", "/canned/{canned}/edit/", {"text": "pwned", "category": "", "new_category": "Pwned"}),
    ("GET", "/canned/{canned}/delete/", None),
    ("POST", "/canned/{canned}/delete/", {}),
]

# Routes with an id that are not per-department: canned categories are shared by all departments
# (model permissions decide), the admin is for staff, and the visitor API is tested by token below.
NOT_PER_DEPARTMENT = {
    "canned/categories/<int:category_id>/edit/",
    "canned/categories/<int:category_id>/delete/",
    "api/v1/canned-categories/<int:category_id>/",
    "api/v1/visitor/chats/<int:chat_id>/",  # the visitor token's chat only (tests/chat/test_api.py)
    "api/v1/visitor/chats/<int:chat_id>/rating/",  # likewise (tests/chat/test_rating.py)
    "api/v1/visitor/chats/<int:chat_id>/transcript-email/",  # likewise (tests/chat/test_transcript_email.py)
    "accounts/reset/<uidb64>/<token>/",  # Django's password reset link
    # The live monitor's actions: every department's, for chat.monitor_chats alone (tests/chat/test_monitor.py).
    "api/v1/monitor/agents/<int:agent_id>/chat-status/",
    "api/v1/monitor/chats/<int:chat_id>/reassign/",
}


def _ids(world, me) -> dict:
    return {
        "active": world.active.pk,
        "active2": world.active2.pk,
        "waiting": world.waiting.pk,
        "transcript": world.transcript.pk,
        "missed": world.missed.pk,
        "transfer": world.transfer.pk,
        "invitation": world.invitation.pk,
        "canned": world.canned.pk,
        "me": me.pk,
    }


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value in ("{me}",) else filled
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.fixture
def world(support_world):
    return support_world


@pytest.mark.django_db
@pytest.mark.parametrize("method, path, body", API_CASES, ids=[f"{m} {p}" for m, p, _ in API_CASES])
def test_api_answers_not_found_for_another_departments_objects(world, outsider, method, path, body):
    ids = _ids(world, outsider)
    before = world.state()
    url = path.format(**ids)
    data = None if body is None else json.dumps(_fill(body, ids))
    response = api_client_for(outsider).generic(method, url, data=data, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found"), response.content
    assert world.state() == before
    if method == "GET":  # hidden from Alice only: Support's own agent reads it
        assert api_client_for(world.bob).get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("method, path, data", PAGE_CASES, ids=[f"{m} {p}" for m, p, _ in PAGE_CASES])
def test_pages_answer_not_found_for_another_departments_objects(world, outsider, method, path, data):
    ids = _ids(world, outsider)
    before = world.state()
    client = Client()
    client.force_login(outsider.user)
    url = path.format(**ids)
    response = client.get(url) if method == "GET" else client.post(url, data)
    assert response.status_code == 404
    assert world.state() == before
    insider = Client()
    insider.force_login(world.bob.user)
    world.bob.user.user_permissions.add(*outsider.user.user_permissions.all())
    assert insider.get(url).status_code == 200  # the page exists: the refusal is the department rule


@pytest.mark.django_db
def test_lists_leave_out_another_departments_objects(world, outsider):
    api = api_client_for(outsider)
    chats = {c["id"] for c in api.get("/api/v1/chats/").json()["results"]}
    tickets = {t["id"] for t in api.get("/api/v1/tickets/").json()["results"]}
    canned = {m["id"] for m in api.get("/api/v1/canned-messages/").json()["results"]}
    assert chats.isdisjoint({world.active.pk, world.active2.pk, world.waiting.pk})
    assert tickets.isdisjoint({world.transcript.pk, world.missed.pk})
    assert world.canned.pk not in canned
    client = Client()
    client.force_login(outsider.user)
    for view in ("all", "open", "chat-transcripts", "missed-chats"):
        page = client.get(f"/tickets/?view={view}").content.decode()
        assert f"/tickets/{world.transcript.pk}/" not in page and f"/tickets/{world.missed.pk}/" not in page
    assert "Support-only answer" not in client.get("/canned/").content.decode()
    # ... while Support's agent sees them (so the checks above can fail).
    bob = api_client_for(world.bob)
    assert world.active.pk in {c["id"] for c in bob.get("/api/v1/chats/").json()["results"]}
    assert world.transcript.pk in {t["id"] for t in bob.get("/api/v1/tickets/").json()["results"]}


@pytest.mark.django_db
def test_visitor_token_opens_only_its_own_chat(world):
    mine, theirs = world.waiting, world.active
    response = APIClient().get(f"/api/v1/visitor/chats/{theirs.pk}/", HTTP_X_VISITOR_TOKEN=mine.token)
    assert (response.status_code, response.json()) == (
        403,
        {"code": "not_allowed", "detail": response.json()["detail"]},
    )  # nothing of the other chat in the answer
    assert APIClient().get(f"/api/v1/visitor/chats/{mine.pk}/", HTTP_X_VISITOR_TOKEN=mine.token).status_code == 200


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


@pytest.mark.django_db
def test_every_url_with_an_id_is_covered(support_world, outsider):
    ids = _ids(support_world, outsider)
    covered = {resolve(path.format(**ids)).route for _, path, _ in API_CASES + PAGE_CASES}
    with_ids = {route for route in _routes(get_resolver().url_patterns) if "<" in route and "admin/" not in route}
    assert with_ids - NOT_PER_DEPARTMENT == covered


# Agent socket ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_agent_socket_reaches_nothing_of_another_department(sales, support, outsider):
    world = await database_sync_to_async(build_department)(support)
    before = await database_sync_to_async(world.state)()
    spy = await agent_socket(outsider)
    frames = [
        ({"type": "chat.accept", "chat_id": world.waiting.pk}, "not_found"),
        ({"type": "message.send", "chat_id": world.active.pk, "body": "pwned", "client_id": "p"}, "not_found"),
        ({"type": "typing", "chat_id": world.active.pk}, "not_allowed"),
        ({"type": "chat.end", "chat_id": world.active.pk, "delay_seconds": 0}, "not_found"),
        ({"type": "chat.end", "chat_id": world.active.pk, "delay_seconds": 30}, "not_found"),
        ({"type": "chat.cancel_end", "chat_id": world.active.pk}, "not_found"),
    ]
    for frame, code in frames:
        await spy.send_json_to(frame)
        error = await receive_type(spy, "error")
        assert (error["code"], error["for_type"], error["chat_id"]) == (code, frame["type"], frame["chat_id"])
    visitor = await visitor_socket(world.active)
    await visitor.send_json_to({"type": "message.send", "body": "for Bob only"})
    await visitor.send_json_to({"type": "typing"})
    await receive_type(visitor, "message")
    await probe(visitor)  # answered once the message and the typing before it were handled
    assert await frames_before_marker(spy, outsider) == []  # not a word of Support's chat
    assert await database_sync_to_async(world.state)() != before  # the visitor's message, no more
    await visitor.disconnect()
    await spy.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_visitor_token_of_one_chat_does_not_open_another(support):
    world = await database_sync_to_async(build_department)(support)
    for chat, token in ((world.active, world.waiting.token), (world.waiting, world.active.token)):
        socket = await connect(f"/ws/visitor/chats/{chat.pk}/?token={token}")
        await assert_closed_with(socket, 4403)
