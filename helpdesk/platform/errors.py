"""The one error type the domain raises, and every error code the project answers with.

Each code carries the HTTP status the API answers it with; websocket `error` frames carry the
same code, and the OpenAPI document lists them all (helpdesk/platform/schema.py)."""

from enum import StrEnum

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext, gettext_noop
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class ErrorCode(StrEnum):
    """Machine-readable and stable: integrators and the pages branch on these values."""

    def __new__(cls, value: str, http_status: int, description: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.http_status = http_status
        member.description = description
        return member

    # Input
    INVALID = "invalid", 400, "The input is invalid (field errors say which)."
    INVALID_JSON = "invalid_json", 400, "The body or frame is not valid JSON."
    MESSAGE_TOO_LONG = "message_too_long", 400, "The message is longer than the limit."
    UNKNOWN_TYPE = "unknown_type", 400, "Unknown websocket frame type."
    UNKNOWN_PLACEHOLDER = "unknown_placeholder", 400, "A canned message's text has an unknown placeholder."
    TOO_LARGE = "too_large", 413, "The request body is too large."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415, "The body's media type is not accepted."
    # Who is asking
    NOT_AUTHENTICATED = "not_authenticated", 401, "No credentials were given."
    AUTHENTICATION_FAILED = "authentication_failed", 401, "The credentials are wrong."
    INVALID_TOKEN = "invalid_token", 401, "The visitor token is missing or wrong."
    TOKEN_EXPIRED = "token_expired", 401, "The chat has ended and its visitor token has expired."
    NOT_ALLOWED = "not_allowed", 403, "The action is not allowed to you."
    NOT_FOUND = "not_found", 404, "No such thing, or not visible to you."
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "The method is not allowed here."
    # The current state
    ALREADY_ACCEPTED = "already_accepted", 409, "Another agent accepted the chat first."
    CHAT_CLOSED = "chat_closed", 409, "The chat has ended or was missed."
    CONFLICT = "conflict", 409, "Conflicts with the current state (e.g. a client_id used by someone else)."
    DUPLICATE = "duplicate", 409, "Something with this name or shortcut exists."
    CATEGORY_NOT_EMPTY = "category_not_empty", 409, "The category still holds canned messages."
    AGENT_UNAVAILABLE = "agent_unavailable", 409, "The chosen agent cannot take a chat now."
    TRANSFER_PENDING = "transfer_pending", 409, "The chat already has a transfer waiting for an answer."
    TRANSFER_CLOSED = "transfer_closed", 409, "The transfer was already answered or has expired."
    INVITATION_PENDING = "invitation_pending", 409, "The agent is already invited."
    INVITATION_CLOSED = "invitation_closed", 409, "The invitation was already answered or has expired."
    NOT_ENDING = "not_ending", 409, "The chat has no scheduled end to cancel."
    CHAT_LIMIT_REACHED = "chat_limit_reached", 409, "The agent already has as many chats as their limit allows."
    # Limits and the service itself
    THROTTLED = "throttled", 429, "Rate limit reached (see Retry-After or retry_after)."
    TOO_MANY_WAITING = "too_many_waiting", 429, "Too many chats from this address or e-mail are waiting."
    EMAIL_FAILED = "email_failed", 503, "The e-mail could not be sent."
    UNAVAILABLE = "unavailable", 503, "The database or Redis cannot be reached; try again shortly."
    INTERNAL = "internal", 500, "Something went wrong on our side."
    ERROR = "error", 400, "Any other error the web framework reports."


class DomainError(Exception):
    """A domain rule refused the request."""

    def __init__(
        self, code: ErrorCode, detail: str, *, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(detail)
        self.code = ErrorCode(code)
        self.detail = detail
        self.field = field  # the input it is about, for forms and API field errors
        self.retry_after = retry_after  # seconds until trying again may succeed (Retry-After)

    @property
    def http_status(self) -> int:
        return self.code.http_status


# A backing service cannot be reached (the database, or Redis): the same request may succeed
# later. Every edge answers these with the code `unavailable`: HTTP 503, an `error` frame on a
# socket, close code 4503 for a socket that cannot be set up.
SERVICE_UNAVAILABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
# Marked for translation here, translated where it is sent (gettext(UNAVAILABLE_DETAIL)).
UNAVAILABLE_DETAIL = gettext_noop("The service is temporarily unavailable; try again shortly.")


def unavailable_body() -> dict:
    """The API's error body for a SERVICE_UNAVAILABLE error (HTTP 503)."""
    return {"code": ErrorCode.UNAVAILABLE, "detail": gettext(UNAVAILABLE_DETAIL)}
