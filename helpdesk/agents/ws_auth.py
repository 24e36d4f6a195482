"""Websocket authentication: the session cookie, or an API token in `?token=`."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from helpdesk.agents import services
from helpdesk.agents.selectors import api_token_get


@database_sync_to_async
def _user_for_token(key: str) -> tuple:
    """The token's user and the token's hash (the socket's revocation handle), or nobody."""
    token = api_token_get(key=key)
    if token is None or not token.user.is_active:
        return AnonymousUser(), None
    services.api_token_mark_used(token=token)
    return token.user, token.key_hash


class TokenAuthMiddleware(BaseMiddleware):
    """A `token` query parameter, when present, decides who the user is (a wrong one means
    nobody, even with a session cookie). Visitor sockets use `token` for their chat token and
    check it themselves, so only agent routes pass through here. `api_token_hash` in the scope
    names the token a socket was opened with (None for a session)."""

    async def __call__(self, scope, receive, send):
        tokens = parse_qs(scope.get("query_string", b"").decode()).get("token")
        if tokens:
            user, token_hash = await _user_for_token(tokens[0])
            scope = dict(scope, user=user, api_token_hash=token_hash)
        return await super().__call__(scope, receive, send)


def AgentAuthStack(inner):
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
