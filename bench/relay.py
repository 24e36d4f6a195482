"""The baseline: a bare Channels relay on the same routes, layer and frames, with no database
and no domain logic. `bench/chat_load.py` drives it exactly as it drives the product.

    daphne bench.relay:stock   # Channels as shipped: close_old_connections before every handler
    daphne bench.relay:tuned   # the same consumer without that thread hop (as chat/consumers/base.py)

A visitor socket is `/ws/visitor/chats/<id>/`, an agent socket `/ws/agent/?chats=1,2,…`; a
`message.send` frame goes to the chat's group as a `message` frame, the sender included, like
the product does. `seq` counts per process, so it only means something with one server.
"""

import itertools
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from channels.consumer import get_handler_name  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

_seq = itertools.count(1)


class StockRelay(AsyncJsonWebsocketConsumer):
    async def connect(self):
        chat_id = self.scope["url_route"]["kwargs"].get("chat_id")
        if chat_id is not None:
            self.kind, self.chat_ids = "visitor", [chat_id]
        else:
            query = dict(part.split("=", 1) for part in self.scope["query_string"].decode().split("&") if "=" in part)
            self.kind, self.chat_ids = "agent", [int(c) for c in query.get("chats", "").split(",") if c]
        for chat_id in self.chat_ids:
            await self.channel_layer.group_add(f"chat.{chat_id}", self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for chat_id in self.chat_ids:
            await self.channel_layer.group_discard(f"chat.{chat_id}", self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") != "message.send":
            return
        chat_id = self.chat_ids[0] if self.kind == "visitor" else int(content["chat_id"])
        frame = {
            "type": "message",
            "chat_id": chat_id,
            "seq": next(_seq),
            "sender": {"kind": self.kind, "name": self.kind},
            "body": content.get("body"),
            "client_id": content.get("client_id"),
        }
        await self.channel_layer.group_send(f"chat.{chat_id}", {"type": "chat.frame", "frame": frame})

    async def chat_frame(self, event):
        await self.send_json(event["frame"])


class TunedRelay(StockRelay):
    async def dispatch(self, message):
        # What FrameConsumer.dispatch does: no close_old_connections hop (no database here).
        await getattr(self, get_handler_name(message))(message)


def _application(consumer):
    return ProtocolTypeRouter(
        {
            "websocket": URLRouter(
                [
                    path("ws/visitor/chats/<int:chat_id>/", consumer.as_asgi()),
                    path("ws/agent/", consumer.as_asgi()),
                ]
            )
        }
    )


stock = _application(StockRelay)
tuned = _application(TunedRelay)
