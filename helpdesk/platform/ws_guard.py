"""Websockets that fail because a backing service is down close with a code that says so."""

import logging

from helpdesk.platform.errors import SERVICE_UNAVAILABLE

logger = logging.getLogger(__name__)

CLOSE_UNAVAILABLE = 4503


class ServiceUnavailableGuard:
    """ASGI middleware around the websocket routes. When the database or Redis cannot be reached
    while a socket is set up (authentication, the consumer's connect) or in a handler outside
    `receive`, the socket is accepted if it was not yet and closed with 4503, instead of the
    server's bare HTTP 500 handshake answer or 1011. Frames keep their own answer (`error` with
    code `unavailable`, chat/consumers/base.py)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        state = {"accepted": False, "closed": False}

        async def tracked_send(message):
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        try:
            await self.inner(scope, receive, tracked_send)
        except SERVICE_UNAVAILABLE as error:
            logger.warning("websocket %s closed, a backing service is unavailable: %r", scope.get("path"), error)
            if state["closed"]:
                return
            if not state["accepted"]:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE})
