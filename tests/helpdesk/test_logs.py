"""Structured logs (helpdesk/platform/logs.py): LOG_FORMAT=json lines, the request id, one INFO
line per chat state change, and nothing private in them."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from chat import services
from helpdesk.actors import SYSTEM
from helpdesk.platform.logs import (
    REQUEST_ID_HEADER,
    ContextFilter,
    JsonFormatter,
    RequestIdMiddleware,
    TextFormatter,
    chat_id_var,
)
from tests.support.processes import process_env
from tests.support.sockets import visitor_facts

EMAIL = "vera.private@example.org"
QUESTION = "my card number is 4111 1111"
BODY = "the secret word is swordfish"


@pytest.fixture
def json_lines():
    """Every record at INFO and above, from any logger, as LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _chat_events(lines):
    return [line for line in lines if line["logger"] == "helpdesk.chat"]


def test_one_json_line_per_state_change_without_private_text(
    sales, agent, published, json_lines, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        chat, token = services.chat_start(
            name="Vera", email=EMAIL, question=QUESTION, department=sales, facts=visitor_facts()
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_accept(actor=agent, chat_id=chat.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(actor=agent, chat_id=chat.pk, body=BODY)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_schedule_end(actor=agent, chat_id=chat.pk, delay_seconds=60)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_cancel_end(actor=agent, chat_id=chat.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=agent, chat_id=chat.pk)
    with django_capture_on_commit_callbacks(execute=True):
        missed, _token = services.chat_start(
            name="Vera", email=EMAIL, question=QUESTION, department=sales, facts=visitor_facts()
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_end(actor=SYSTEM, chat_id=missed.pk)

    lines = json_lines()
    events = [(line["event"], line["chat_id"], line.get("agent_id")) for line in _chat_events(lines)]
    assert events == [
        ("chat.started", chat.pk, None),
        ("chat.accepted", chat.pk, agent.pk),
        ("chat.ending_scheduled", chat.pk, agent.pk),
        ("chat.end_cancelled", chat.pk, agent.pk),
        ("chat.ended", chat.pk, agent.pk),
        ("chat.started", missed.pk, None),
        ("chat.missed", missed.pk, None),
    ]
    assert _chat_events(lines)[-1]["reason"] == "no_answer"
    for line in _chat_events(lines):
        assert line["level"] == "info"
        assert line["timestamp"]
    text = "\n".join(json.dumps(line) for line in lines)
    for private in (EMAIL, QUESTION, BODY, token):
        assert private not in text


def test_no_line_before_the_change_commits(sales, agent, json_lines, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        chat, _token = services.chat_start(
            name="Vera", email=EMAIL, question=QUESTION, department=sales, facts=visitor_facts()
        )
    assert _chat_events(json_lines()) == []
    for callback in callbacks:
        callback()
    assert [line["event"] for line in _chat_events(json_lines())] == ["chat.started"]
    assert _chat_events(json_lines())[0]["chat_id"] == chat.pk


def _record(message="hello %s", args=("world",), **extra):
    record = logging.LogRecord("helpdesk.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_json_formatter_fields():
    record = _record(chat_id=5, agent_id=3, reason="no_answer", request=object())
    ContextFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["event"] == "hello world"
    assert (entry["level"], entry["logger"]) == ("warning", "helpdesk.test")
    assert (entry["chat_id"], entry["agent_id"], entry["reason"]) == (5, 3, "no_answer")
    assert "request" not in entry  # objects (a request's text has its query string) stay out
    assert "request_id" not in entry  # unknown here
    assert entry["timestamp"].endswith("+00:00")


def test_json_formatter_keeps_a_traceback_on_the_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exception"]


def test_context_variables_fill_the_fields_extra_wins():
    token = chat_id_var.set(9)
    try:
        record = _record()
        ContextFilter().filter(record)
        assert record.chat_id == 9
        record = _record(chat_id=4)
        ContextFilter().filter(record)
        assert record.chat_id == 4
    finally:
        chat_id_var.reset(token)


def test_text_format_stays_readable():
    record = _record(chat_id=5, agent_id=3)
    ContextFilter().filter(record)
    text = TextFormatter().format(record)
    assert text.endswith("WARNING helpdesk.test: hello world chat_id=5 agent_id=3")


def _logging_view(request):
    logging.getLogger("helpdesk.test").warning("inside the view")
    return HttpResponse("ok")


def test_request_id_is_taken_when_sane_and_on_the_lines(json_lines):
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="abc-123.DEF_4")
    response = RequestIdMiddleware(_logging_view)(request)
    assert response[REQUEST_ID_HEADER] == "abc-123.DEF_4"
    (line,) = [line for line in json_lines() if line["logger"] == "helpdesk.test"]
    assert line["request_id"] == "abc-123.DEF_4"
    logging.getLogger("helpdesk.test").warning("after the request")
    assert "request_id" not in json_lines()[-1]


@pytest.mark.parametrize("sent", [None, "", "x" * 65, "has space", "semi;colon", "\u00e9t\u00e9"])
def test_request_id_is_made_when_missing_or_odd(sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    response = RequestIdMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/", **headers))
    made = response[REQUEST_ID_HEADER]
    assert made != sent
    assert len(made) == 32 and made.isalnum()


def test_request_id_round_trip_through_the_stack(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="from-the-proxy-1")
    assert response[REQUEST_ID_HEADER] == "from-the-proxy-1"
    assert len(client.get("/healthz")[REQUEST_ID_HEADER]) == 32


def test_log_format_json_setting_writes_json_lines():
    """The settings' LOGGING, in a fresh process, with LOG_FORMAT=json."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('helpdesk.chat').info('chat.started', extra={'chat_id': 7})"
    )
    env = process_env(LOG_FORMAT="json", DJANGO_SETTINGS_MODULE="helpdesk.settings")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=os.getcwd()
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    (line,) = [line for line in lines if line["logger"] == "helpdesk.chat"]
    assert (line["event"], line["chat_id"], line["level"], line["logger"]) == (
        "chat.started",
        7,
        "info",
        "helpdesk.chat",
    )


def test_a_password_reset_token_is_redacted():
    record = _record("%s %s failed", ("GET", "/accounts/reset/MQ/cz6b1w-0123abcd/"))
    ContextFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["event"] == "GET /accounts/reset/[redacted]/ failed"
