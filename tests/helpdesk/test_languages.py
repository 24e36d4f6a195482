"""Which language a page speaks: the visitor side follows `?lang=` (the widget's data-lang), then
the browser's Accept-Language; the agent and manager pages stay in AGENT_LANGUAGES (English)."""

import re
import uuid

import pytest
from django.core import mail
from django.utils import translation

from chat import services
from helpdesk.platform.throttles import VisitorRateThrottle
from tests.factories import AgentFactory, accepted_chat

pytestmark = pytest.mark.django_db


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no {language} translation"
    return translated


def page_language(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_the_chat_page_speaks_the_browsers_language(client, sales, language):
    response = client.get("/chat/", HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    assert page_language(response) == language
    assert response["Content-Language"] == language
    assert in_language(language, "Start chat") in response.content.decode()


def test_lang_wins_over_accept_language_and_an_unknown_one_is_ignored(client, sales):
    response = client.get("/chat/?embed=1&lang=fr", HTTP_ACCEPT_LANGUAGE="de")
    assert page_language(response) == "fr"
    assert in_language("fr", "Start chat") in response.content.decode()
    assert page_language(client.get("/chat/?lang=de-AT", HTTP_ACCEPT_LANGUAGE="es")) == "de"
    assert page_language(client.get("/chat/?lang=xx", HTTP_ACCEPT_LANGUAGE="es")) == "es"
    assert page_language(client.get("/chat/?lang=%00", HTTP_ACCEPT_LANGUAGE="es")) in {"es", "en"}
    assert page_language(client.get("/chat/", HTTP_ACCEPT_LANGUAGE="pt")) == "en"


def test_the_javascript_catalog_is_in_the_requested_language(client):
    german = client.get("/jsi18n/?lang=de", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '"Waiting for an agent\\u2026 You can already write your message."' in german
    english = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for an agent" not in english  # no catalog entries: the texts stay as written


def test_the_widgets_own_texts_for_another_site(client):
    response = client.get("/chat/widget-strings/?lang=es", HTTP_ORIGIN="https://shop.example")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    strings = response.json()
    assert strings["lang"] == "es"
    assert strings["open"] == in_language("es", "Chat with us")
    assert "%(count)s" in strings["unread"]["one"] and "%(count)s" in strings["unread"]["other"]
    assert strings["unread"]["one"] != strings["unread"]["other"]
    english = client.get("/chat/widget-strings/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["open"] == "Chat with us"
    assert english["unread"]["one"] == "Chat with us (%(count)s new message)"
    assert client.post("/chat/widget-strings/").status_code == 405


def test_visitor_api_errors_follow_accept_language(client, sales):
    response = client.post("/api/v1/visitor/chats/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    with translation.override("de"):
        required = translation.gettext("This field is required.")
    assert required in str(response.json())


def test_agent_pages_stay_in_english_for_a_german_browser(client, sales):
    sign_in = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert page_language(sign_in) == "en"
    assert "Password" in sign_in.content.decode()
    agent = AgentFactory(display_name="Alice", departments=[sales])
    client.force_login(agent.user)
    dashboard = client.get("/agent/", HTTP_ACCEPT_LANGUAGE="de")
    assert page_language(dashboard) == "en"
    assert dashboard["Content-Language"] == "en"
    assert client.get("/jsi18n/?lang=en", HTTP_ACCEPT_LANGUAGE="de").status_code == 200


@pytest.fixture
def _own_visitor_request_counts(monkeypatch):
    monkeypatch.setattr(VisitorRateThrottle, "cache_format", f"throttle_{uuid.uuid4().hex}_%(scope)s_%(ident)s")


@pytest.mark.usefixtures("_own_visitor_request_counts")
def test_the_offline_message_confirmation_is_in_the_visitors_language(
    client, sales, django_capture_on_commit_callbacks
):
    message = {"name": "Vera", "email": "vera@example.org", "question": "Liefern Sie?", "department": "sales"}
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes out after commit
        response = client.post(
            "/api/v1/visitor/offline-messages/", message, content_type="application/json", HTTP_ACCEPT_LANGUAGE="de"
        )
    assert response.status_code == 201
    (sent,) = mail.outbox
    ticket_id = response.json()["ticket_id"]
    with translation.override("de"):
        subject = translation.gettext("We received your message: %(question)s [#%(ticket_id)s]")
    assert sent.subject == subject % {"question": "Liefern Sie?", "ticket_id": ticket_id}
    assert sent.subject != f"We received your message: Liefern Sie? [#{ticket_id}]"


@pytest.mark.usefixtures("_own_visitor_request_counts")
def test_the_transcript_is_e_mailed_in_the_language_asked_in(client, sales):
    alice = AgentFactory(display_name="Alice", departments=[sales])
    chat = accepted_chat(agent=alice)
    services.chat_end(actor=alice, chat_id=chat.pk)
    response = client.post(
        f"/api/v1/visitor/chats/{chat.pk}/transcript-email/",
        content_type="application/json",
        HTTP_X_VISITOR_TOKEN=chat.token,
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 202
    (sent,) = mail.outbox
    assert sent.subject.startswith(in_language("es", "Transcript of your chat: %(question)s").split("%")[0])
    assert '<html lang="es">' in sent.alternatives[0][0]


def test_the_shipped_greeting_is_translated_a_managers_own_is_not(client, sales, support):
    support.greeting = "Ask us anything"
    support.save()
    response = client.get("/api/v1/departments/", HTTP_ACCEPT_LANGUAGE="fr")
    greetings = {department["slug"]: department["greeting"] for department in response.json()}
    assert greetings == {
        "sales": in_language("fr", "We usually answer within a few minutes"),
        "support": "Ask us anything",
    }
