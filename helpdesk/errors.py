"""The one error type the domain raises; every edge maps it the same way."""

from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class DomainError(Exception):
    """A domain rule refused the request. `code` is machine-readable and stable."""

    # HTTP status each code maps to at the API edge; unknown codes are 400.
    STATUS = {
        "invalid_token": 401,
        "token_expired": 401,
        "not_found": 404,
        "not_allowed": 403,
        "already_accepted": 409,
        "chat_closed": 409,
        "conflict": 409,
        "duplicate": 409,
        "category_not_empty": 409,
        "agent_unavailable": 409,
        "transfer_pending": 409,
        "transfer_closed": 409,
        "invitation_pending": 409,
        "invitation_closed": 409,
        "email_failed": 503,
        "not_ending": 409,
        "chat_limit_reached": 409,
        "too_many_waiting": 429,
    }

    def __init__(self, code: str, detail: str, *, field: str | None = None, retry_after: int | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field  # the input it is about, for forms and API field errors
        self.retry_after = retry_after  # seconds until trying again may succeed (Retry-After)

    @property
    def http_status(self) -> int:
        return self.STATUS.get(self.code, 400)


# A backing service cannot be reached (the database, or Redis): the same request may succeed
# later. Every edge answers these with the code `unavailable`: HTTP 503, an `error` frame on a
# socket, close code 4503 for a socket that cannot be set up.
SERVICE_UNAVAILABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
UNAVAILABLE_DETAIL = "The service is temporarily unavailable; try again shortly."


def unavailable_body() -> dict:
    """The API's error body for a SERVICE_UNAVAILABLE error (HTTP 503)."""
    return {"code": "unavailable", "detail": UNAVAILABLE_DETAIL}
