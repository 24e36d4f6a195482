"""The one error type the domain raises; every edge maps it the same way."""


class DomainError(Exception):
    """A domain rule refused the request. `code` is machine-readable and stable."""

    # HTTP status each code maps to at the API edge; unknown codes are 400.
    STATUS = {
        "invalid_token": 401,
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
    }

    def __init__(self, code: str, detail: str, *, field: str | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field  # the input it is about, for forms and API field errors

    @property
    def http_status(self) -> int:
        return self.STATUS.get(self.code, 400)
