"""Issue 14: after a chat with an agent ends, its visitor rates it 1-5 with an optional comment
(POST /api/v1/visitor/chats/{id}/rating/, X-Visitor-Token); rating again replaces the rating while
the token is valid. The rating shows on both chat reads, and the agents who were in the chat when
it ended get chat.rated."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from chat import services
from chat.models import Chat
from helpdesk.actors import ChatVisitor
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.events import agent_group, chat_group
from helpdesk.platform.throttles import VisitorRateThrottle
from tests.factories import AgentFactory, ChatFactory, accepted_chat
from tests.support.api import api_client_for
from tests.support.events import frames_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_visitor_request_counts(monkeypatch):
    """These tests make many visitor requests from one address: counted apart from other tests'
    (the limit, API_RATE_VISITOR, stays as it is)."""
    monkeypatch.setattr(VisitorRateThrottle, "cache_format", f"throttle_{uuid.uuid4().hex}_%(scope)s_%(ident)s")


def url(chat: Chat) -> str:
    return f"/api/v1/visitor/chats/{chat.pk}/rating/"


def rate(chat: Chat, body, *, token: str | None = None, **extra):
    headers = {} if token == "" else {"HTTP_X_VISITOR_TOKEN": token or chat.token}
    return APIClient().post(url(chat), body, format="json", **headers, **extra)


def ended_chat(agent, **kwargs) -> Chat:
    chat = accepted_chat(agent=agent, **kwargs)
    services.chat_end(actor=agent, chat_id=chat.pk)
    chat.refresh_from_db()
    return chat


def unrated(chat: Chat) -> bool:
    chat.refresh_from_db()
    return chat.rating_score is None and chat.rating_comment == "" and chat.rated_at is None


def test_visitor_rates_an_ended_chat(sales, agent, api):
    chat = ended_chat(agent, department=sales)
    response = rate(chat, {"score": 4, "comment": "  Quick and kind.  "})
    assert response.status_code == 200, response.content
    assert response.json() == {"score": 4, "comment": "Quick and kind."}
    chat.refresh_from_db()
    assert (chat.rating_score, chat.rating_comment) == (4, "Quick and kind.") and chat.rated_at
    rating = {"score": 4, "comment": "Quick and kind."}
    assert api.get(f"/api/v1/chats/{chat.pk}/").json()["rating"] == rating
    assert api.get("/api/v1/chats/").json()["results"][0]["rating"] == rating
    visitor_view = APIClient().get(f"/api/v1/visitor/chats/{chat.pk}/", HTTP_X_VISITOR_TOKEN=chat.token)
    assert visitor_view.status_code == 200 and visitor_view.json()["rating"] == rating


def test_rating_is_null_before_the_visitor_rates(sales, agent, api):
    chat = ended_chat(agent, department=sales)
    assert api.get(f"/api/v1/chats/{chat.pk}/").json()["rating"] is None
    assert APIClient().get(f"/api/v1/visitor/chats/{chat.pk}/?token={chat.token}").json()["rating"] is None


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_the_comment_is_optional(agent, comment):
    chat = ended_chat(agent)
    body = {"score": 5} if comment is None else {"score": 5, "comment": comment}
    response = rate(chat, body)
    assert response.status_code == 200 and response.json() == {"score": 5, "comment": ""}
    assert rate(chat, {"score": 5, "comment": None}).json() == {"score": 5, "comment": ""}


def test_a_comment_of_the_greatest_length_is_kept_whole(agent):
    chat = ended_chat(agent)
    comment = "é" * 1999 + "!"
    assert rate(chat, {"score": 1, "comment": comment}).status_code == 200
    chat.refresh_from_db()
    assert chat.rating_comment == comment


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "score"),
        ({"comment": "Nice"}, "score"),
        ({"score": None}, "score"),
        ({"score": True}, "score"),
        ({"score": False}, "score"),
        ({"score": "5"}, "score"),
        ({"score": ""}, "score"),
        ({"score": 0}, "score"),
        ({"score": 6}, "score"),
        ({"score": -1}, "score"),
        ({"score": 4.5}, "score"),
        ({"score": 10**30}, "score"),
        ({"score": [5]}, "score"),
        ({"score": {"value": 5}}, "score"),
        ({"score": 3, "comment": "x" * 2001}, "comment"),
        ({"score": 3, "comment": " " * 2001}, "comment"),
        ({"score": 3, "comment": "bad\x00byte"}, "comment"),
        ({"score": 3, "comment": 42}, "comment"),
        ({"score": 3, "comment": True}, "comment"),
        ({"score": 3, "comment": ["Nice"]}, "comment"),
    ],
)
def test_bad_input_is_a_field_error_and_stores_nothing(agent, body, field):
    chat = ended_chat(agent)
    response = rate(chat, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json()
    assert unrated(chat)


@pytest.mark.parametrize("body", [[{"score": 5}], "5", 5])
def test_a_body_that_is_not_an_object_is_refused(agent, body):
    chat = ended_chat(agent)
    response = rate(chat, body)
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert unrated(chat)


def test_a_body_that_is_not_json_is_refused(agent):
    chat = ended_chat(agent)
    response = APIClient().post(
        url(chat), "{score: 5", content_type="application/json", HTTP_X_VISITOR_TOKEN=chat.token
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"
    response = APIClient().post(url(chat), {"score": 5}, HTTP_X_VISITOR_TOKEN=chat.token)  # a form, not JSON
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert unrated(chat)


def test_a_wrong_or_missing_token_is_refused(agent):
    chat = ended_chat(agent)
    other = ended_chat(agent)
    for token, status, code in [
        ("", 401, "invalid_token"),
        ("not-the-token", 401, "invalid_token"),
        (other.token, 403, "not_allowed"),  # another chat's token
    ]:
        response = rate(chat, {"score": 5}, token=token)
        assert (response.status_code, response.json()["code"]) == (status, code)
    token_in_query = APIClient().post(f"{url(chat)}?token={chat.token}", {"score": 5}, format="json")
    assert token_in_query.status_code == 401  # the header only: a token in a URL ends up in logs
    assert unrated(chat) and unrated(other)


def test_a_chat_that_does_not_exist_is_refused_as_any_other_chat(agent):
    chat = ended_chat(agent)
    missing = "/api/v1/visitor/chats/999999/rating/"
    response = APIClient().post(missing, {"score": 5}, format="json", HTTP_X_VISITOR_TOKEN=chat.token)
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"  # a token of another chat
    response = APIClient().post(missing, {"score": 5}, format="json", HTTP_X_VISITOR_TOKEN="made-up")
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_signing_in_does_not_help_an_agent_rate(agent):
    chat = ended_chat(agent)
    response = api_client_for(agent).post(url(chat), {"score": 1}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    with pytest.raises(DomainError) as refused:
        services.chat_rate(actor=agent, chat_id=chat.pk, score=1)
    assert refused.value.code == ErrorCode.NOT_ALLOWED
    assert unrated(chat)


@pytest.mark.parametrize("status", [Chat.Status.WAITING, Chat.Status.ACTIVE, Chat.Status.ENDING])
def test_a_chat_that_has_not_ended_cannot_be_rated_yet(agent, status):
    if status == Chat.Status.WAITING:
        chat = ChatFactory()
    else:
        chat = accepted_chat(agent=agent, status=status, ends_at=timezone.now() + timedelta(minutes=1))
    response = rate(chat, {"score": 5})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert "not ended yet" in response.json()["detail"]
    assert unrated(chat)


def test_a_missed_chat_cannot_be_rated(sales):
    chat = ChatFactory(department=sales)
    services.chat_end(actor=ChatVisitor.of(chat), chat_id=chat.pk)  # left while waiting: missed
    response = rate(chat, {"score": 1, "comment": "Nobody came"})
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    assert "No agent answered" in response.json()["detail"]
    assert unrated(chat)


def test_rating_again_replaces_the_rating(agent, published, django_capture_on_commit_callbacks):
    chat = ended_chat(agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert rate(chat, {"score": 2, "comment": "Slow"}).status_code == 200
        second = rate(chat, {"score": 5})
    assert second.status_code == 200 and second.json() == {"score": 5, "comment": ""}
    chat.refresh_from_db()
    assert (chat.rating_score, chat.rating_comment) == (5, "")
    rated = [frame for frame in frames_to(published, agent_group(agent.pk)) if frame["type"] == "chat.rated"]
    assert [frame["rating"] for frame in rated] == [{"score": 2, "comment": "Slow"}, {"score": 5, "comment": ""}]


def test_the_rating_can_change_until_the_token_expires(agent):
    chat = ended_chat(agent)
    assert rate(chat, {"score": 3}).status_code == 200
    ttl = django_settings.VISITOR_TOKEN_TTL_AFTER_END_SECONDS
    Chat.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - timedelta(seconds=ttl - 5))
    assert rate(chat, {"score": 4}).status_code == 200
    Chat.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - timedelta(seconds=ttl + 1))
    response = rate(chat, {"score": 1, "comment": "Changed my mind"})
    assert response.status_code == 401 and response.json()["code"] == "token_expired"
    chat.refresh_from_db()
    assert (chat.rating_score, chat.rating_comment) == (4, "")
    with pytest.raises(DomainError) as refused:  # a visitor actor held since before the expiry
        services.chat_rate(actor=ChatVisitor.of(chat), chat_id=chat.pk, score=1)
    assert refused.value.code == ErrorCode.TOKEN_EXPIRED


@pytest.mark.parametrize(
    ("score", "comment", "field"),
    [(True, None, "score"), ("5", None, "score"), (0, None, "score"), (5, 7, "comment"), (5, "a\x00", "comment")],
)
def test_the_service_checks_its_input_too(agent, score, comment, field):
    chat = ended_chat(agent)
    with pytest.raises(DomainError) as refused:
        services.chat_rate(actor=ChatVisitor.of(chat), chat_id=chat.pk, score=score, comment=comment)
    assert refused.value.code == ErrorCode.INVALID and refused.value.field == field
    assert unrated(chat)


def test_chat_rated_goes_to_the_agents_in_the_chat_when_it_ended(
    sales, agent, published, django_capture_on_commit_callbacks
):
    """Alice owns the chat; Bob (another department) was invited and stayed to the end; Carol
    (another department) was invited and left before the end; Dave of the chat's department
    never took part."""
    bob = AgentFactory(display_name="Bob", departments=[])
    carol = AgentFactory(display_name="Carol", departments=[])
    dave = AgentFactory(display_name="Dave", departments=[sales])
    chat = accepted_chat(agent=agent, department=sales)
    for invitation in services.invitations_create(actor=agent, chat_id=chat.pk, invitee_ids=[bob.pk, carol.pk]):
        services.invitation_accept(actor=invitation.invitee, invitation_id=invitation.pk)
    services.chat_leave(actor=carol, chat_id=chat.pk)
    services.chat_end(actor=agent, chat_id=chat.pk)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert rate(chat, {"score": 5, "comment": "Bob knew the answer"}).status_code == 200
    expected = {"type": "chat.rated", "chat_id": chat.pk, "rating": {"score": 5, "comment": "Bob knew the answer"}}
    assert frames_to(published, agent_group(agent.pk)) == [expected]
    assert frames_to(published, agent_group(bob.pk)) == [expected]
    assert frames_to(published, agent_group(carol.pk)) == []
    assert frames_to(published, agent_group(dave.pk)) == []
    assert frames_to(published, chat_group(chat.pk)) == []  # the chat's group was left at the end

    def rating_read_by(reader):
        response = api_client_for(reader).get(f"/api/v1/chats/{chat.pk}/")
        assert response.status_code == 200
        return response.json()["rating"]

    assert rating_read_by(agent) == rating_read_by(bob) == rating_read_by(dave) == expected["rating"]
    # Carol reads the chat as it was when she left, before the rating existed.
    assert rating_read_by(carol) is None


def test_nothing_is_published_when_the_rating_is_refused(agent, published, django_capture_on_commit_callbacks):
    chat = accepted_chat(agent=agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert rate(chat, {"score": 5}).status_code == 409
    assert not [frame for frame in frames_to(published, agent_group(agent.pk)) if frame["type"] == "chat.rated"]
