"""Logging: a request id per HTTP request, context fields on every record, a JSON formatter.

LOG_FORMAT=json (settings.LOGGING) writes one JSON object per line: `timestamp`, `level`,
`logger`, `event` (the message) and, where known, `request_id`, `chat_id` and `agent_id`, plus
any other plain (str, number, bool) `extra=` field. The default text format stays readable:
the same fields follow the message as `key=value`.

The context fields come from a record's `extra=` first, else from the context variables below:
RequestIdMiddleware sets `request_id` for the duration of a request.

Chat state changes log through log_chat_event, once the change has committed; it also counts
them in the metrics (helpdesk/platform/metrics.py). Never log message bodies, e-mail addresses or
tokens at INFO or above.
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.db import transaction

from helpdesk.platform import metrics

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
chat_id_var: ContextVar[int | None] = ContextVar("chat_id", default=None)
agent_id_var: ContextVar[int | None] = ContextVar("agent_id", default=None)

CONTEXT_FIELDS = {"request_id": request_id_var, "chat_id": chat_id_var, "agent_id": agent_id_var}

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_PLAIN = (str, int, float, bool)

chat_logger = logging.getLogger("helpdesk.chat")


def clean_request_id(value: str | None) -> str:
    """The caller's request id if it is sane (at most 64 of [A-Za-z0-9._-]), else a new one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Takes a sane `X-Request-ID` from the request or makes one, keeps it in `request_id_var`
    (and `request.request_id`) while the request runs, and answers with it in `X-Request-ID`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


# A password-reset link's path holds its token: a line naming the path (django.request's
# "Not Found: …", a 503's warning) shows it redacted.
_RESET_LINK = re.compile(r"(/accounts/reset/)[^/\s]+/[^/\s]+")


def redact(text: str) -> str:
    return _RESET_LINK.sub(r"\1[redacted]", text)


class ContextFilter(logging.Filter):
    """Puts `request_id`, `chat_id` and `agent_id` on every record: from `extra=` when given,
    else from the context variables (None when unknown). Redacts password-reset tokens in the
    record's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        for field, variable in CONTEXT_FIELDS.items():
            if getattr(record, field, None) is None:
                setattr(record, field, variable.get())
        if isinstance(record.msg, str) and "/reset/" in record.msg:
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple) and any(isinstance(arg, str) and "/reset/" in arg for arg in record.args):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def _extra_fields(record: logging.LogRecord) -> dict:
    """The record's context fields, then its other plain `extra=` fields (objects such as
    Django's `request` are left out: their text may carry a query string)."""
    fields = {field: getattr(record, field, None) for field in CONTEXT_FIELDS}
    for key, value in record.__dict__.items():
        if key not in _RECORD_ATTRIBUTES and key not in fields and isinstance(value, _PLAIN):
            fields[key] = value
    return {key: value for key, value in fields.items() if value is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, event, the context and extra fields,
    and `exception` (the traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_extra_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-12-02 12:00:00,000 INFO helpdesk.chat: chat.accepted chat_id=5 agent_id=3`."""

    def __init__(self, fmt="%(asctime)s %(levelname)s %(name)s: %(message)s", **kwargs):
        super().__init__(fmt, **kwargs)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        text = super().formatMessage(record)
        fields = _extra_fields(record)
        if fields:
            text += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return text


def log_chat_event(event: str, *, chat_id: int, agent_id: int | None = None, **fields) -> None:
    """Log one INFO line for a chat's state change once the transaction commits (at once outside
    one). `event` is a name such as "chat.accepted"; `fields` are plain values (a reason, an
    other agent's id), never a message body, a name or an e-mail address."""
    extra = {"chat_id": chat_id, "agent_id": agent_id, **fields}

    def committed() -> None:
        metrics.chat_event_committed(event, reason=fields.get("reason"))
        chat_logger.info(event, extra=extra)

    transaction.on_commit(committed, robust=True)
