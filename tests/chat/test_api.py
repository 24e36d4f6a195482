import pytest
from rest_framework.test import APIClient

from chat.models import Chat, Message
from helpdesk.platform.events import agent_group
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tests.support.api import api_client_for
from tests.support.events import frames_to

pytestmark = pytest.mark.django_db

START = {"name": "Vera", "email": "vera@example.org", "question": "Where is my order?", "department": "sales"}


def test_visitor_starts_a_chat_without_signing_in(sales, agent, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(
            "/api/v1/visitor/chats/",
            {**START, "page_url": "https://shop.example/cart"},
            format="json",
            HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
            REMOTE_ADDR="192.168.1.20",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"chat_id", "visitor_token", "ws_url"}
    assert body["ws_url"] == f"ws://testserver/ws/visitor/chats/{body['chat_id']}/?token={body['visitor_token']}"
    chat = Chat.objects.select_related("visitor").get(pk=body["chat_id"])
    assert chat.status == "waiting" and chat.department == sales
    assert chat.visitor.browser == "Firefox 120" and chat.visitor.operating_system == "Linux"
    assert chat.visitor.location == "Local network" and chat.visitor.ip_address == "192.168.1.20"
    assert frames_to(published, agent_group(agent.pk))[0]["chat_id"] == chat.pk


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"question": ""}, "question"),
        ({"page_url": "javascript:alert(1)"}, "page_url"),
        ({"page_url": " https://shop.example/"}, "page_url"),  # exactly the documented pattern
    ],
)
def test_bad_start_gets_field_errors_and_writes_nothing(sales, change, field):
    response = APIClient().post("/api/v1/visitor/chats/", {**START, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body and body["detail"]
    assert not Chat.objects.exists()


def test_start_in_a_department_that_does_not_exist_is_not_found(sales):
    # Well formed, only the department is missing: 404 as for a missing object in a path.
    response = APIClient().post("/api/v1/visitor/chats/", {**START, "department": "nope"}, format="json")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "detail": "No department 'nope'.",
        "department": ["No department 'nope'."],
    }
    assert not Chat.objects.exists()


def test_visitor_start_without_department(db):
    response = APIClient().post("/api/v1/visitor/chats/", {**START, "department": None}, format="json")
    assert response.status_code == 201
    assert Chat.objects.get().department is None


def test_chat_api_needs_an_agent(sales):
    chat = ChatFactory(department=sales)
    assert APIClient().get("/api/v1/chats/").status_code in {401, 403}
    response = APIClient().get(f"/api/v1/chats/{chat.pk}/", HTTP_AUTHORIZATION="Token wrong")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_list_and_filter_chats(sales, support, api, agent):
    waiting = ChatFactory(department=sales)
    active = accepted_chat(agent=agent, department=sales)
    ChatFactory(department=support)  # another department: invisible
    ids = [c["id"] for c in api.get("/api/v1/chats/").json()["results"]]
    assert sorted(ids) == sorted([waiting.pk, active.pk])
    assert [c["id"] for c in api.get("/api/v1/chats/?status=waiting").json()["results"]] == [waiting.pk]
    assert [c["id"] for c in api.get("/api/v1/chats/?status=active").json()["results"]] == [active.pk]
    assert api.get("/api/v1/chats/?status=bogus").status_code == 400


def test_other_departments_chat_is_404(support, api):
    chat = ChatFactory(department=support)
    for response in (
        api.get(f"/api/v1/chats/{chat.pk}/"),
        api.get(f"/api/v1/chats/{chat.pk}/messages/"),
        api.post(f"/api/v1/chats/{chat.pk}/accept/"),
        api.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "hi"}, format="json"),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_accept_then_409_for_the_second_agent(sales, api, agent, other_agent):
    chat = ChatFactory(department=sales)
    response = api.post(f"/api/v1/chats/{chat.pk}/accept/")
    assert response.status_code == 200
    assert response.json()["status"] == "active" and response.json()["owner"] == {"id": agent.pk, "name": "Alice"}
    second = api_client_for(other_agent).post(f"/api/v1/chats/{chat.pk}/accept/")
    assert second.status_code == 409 and second.json()["code"] == "already_accepted"


def test_post_and_read_messages(api, agent):
    chat = accepted_chat(agent=agent)
    first = api.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "Hello", "client_id": "c1"}, format="json")
    assert first.status_code == 201
    assert first.json()["seq"] == 1 and first.json()["sender"] == {"kind": "agent", "name": "Alice"}
    repeat = api.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "Hello", "client_id": "c1"}, format="json")
    assert repeat.status_code == 200 and repeat.json()["id"] == first.json()["id"]
    api.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "Second"}, format="json")
    after = api.get(f"/api/v1/chats/{chat.pk}/messages/?after_seq=1").json()
    assert [(m["seq"], m["body"]) for m in after] == [(2, "Second")]
    assert api.get(f"/api/v1/chats/{chat.pk}/messages/?after_seq=-1").status_code == 400


@pytest.mark.parametrize(
    ("payload", "code"),
    [({"body": ""}, "invalid"), ({"body": "x" * 10001}, "message_too_long"), ({}, "invalid")],
)
def test_bad_message_is_400_and_writes_nothing(api, agent, payload, code):
    chat = accepted_chat(agent=agent)
    response = api.post(f"/api/v1/chats/{chat.pk}/messages/", payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == code
    assert not Message.objects.exists()


def test_malformed_json_is_400(api, agent):
    chat = accepted_chat(agent=agent)
    response = api.post(f"/api/v1/chats/{chat.pk}/messages/", "{oops", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


def test_end_cancel_end_and_delay_validation(api, agent):
    chat = accepted_chat(agent=agent)
    for delay in (-1, 3601, "soon"):
        response = api.post(f"/api/v1/chats/{chat.pk}/end/", {"delay_seconds": delay}, format="json")
        assert response.status_code == 400 and "delay_seconds" in response.json()
    scheduled = api.post(f"/api/v1/chats/{chat.pk}/end/", {"delay_seconds": 60}, format="json")
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "ending" and scheduled.json()["ends_at"]
    cancelled = api.post(f"/api/v1/chats/{chat.pk}/cancel-end/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "active"
    assert api.post(f"/api/v1/chats/{chat.pk}/cancel-end/").json()["code"] == "not_ending"
    ended = api.post(f"/api/v1/chats/{chat.pk}/end/", {"delay_seconds": 0}, format="json")
    assert ended.json()["status"] == "ended" and ended.json()["ticket_id"]


def test_participant_sees_chat_outside_their_departments(support):
    outsider = AgentFactory(departments=[])
    chat = accepted_chat(agent=outsider, department=support)
    assert api_client_for(outsider).get(f"/api/v1/chats/{chat.pk}/").status_code == 200


def test_visitor_reads_own_chat_state_with_token(sales, agent):
    chat = accepted_chat(agent=agent, department=sales)
    response = APIClient().get(f"/api/v1/visitor/chats/{chat.pk}/?token={chat.token}")
    assert response.status_code == 200
    assert response.json()["agent"] == {"name": "Alice"} and response.json()["status"] == "active"
    assert APIClient().get(f"/api/v1/visitor/chats/{chat.pk}/?token=bad").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [({"department": "\x00"}, "department"), ({"name": 42}, "name"), ({"question": "a\x00b"}, "question")],
)
def test_hostile_start_input_is_400(sales, change, field):
    response = APIClient().post("/api/v1/visitor/chats/", {**START, **change}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Chat.objects.exists()


def test_deeply_nested_json_is_a_parse_error(api, agent):
    chat = accepted_chat(agent=agent)
    response = api.post(f"/api/v1/chats/{chat.pk}/messages/", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


def test_message_body_must_be_text_and_end_needs_a_delay(api, agent):
    chat = accepted_chat(agent=agent)
    response = api.post(f"/api/v1/chats/{chat.pk}/messages/", {"body": 42}, format="json")
    assert response.status_code == 400 and "body" in response.json()
    response = api.post(f"/api/v1/chats/{chat.pk}/end/", {}, format="json")
    assert response.status_code == 400 and "delay_seconds" in response.json()
    chat.refresh_from_db()
    assert chat.status == "active" and not Message.objects.exists()


def test_unknown_api_path_is_a_json_404(api):
    for response in (api.get("/api/v1/no-such-thing/"), api.post("/api/v1/chats/1/accept", {}, format="json")):
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_departments_are_public_even_with_a_stale_token(sales):
    response = APIClient().get("/api/v1/departments/", HTTP_AUTHORIZATION="Token stale")
    assert response.status_code == 200 and response.json()[0]["slug"] == "sales"
