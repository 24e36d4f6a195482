"""Reads shared by several edges."""

from helpdesk.models import ApiToken


def api_token_get(*, key: str) -> ApiToken | None:
    """The token whose key this is, with its user; None for a key we never issued."""
    if not key or len(key) > 200:
        return None
    return ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
