from django.urls import path

from chat.consumers.agent import AgentConsumer
from chat.consumers.visitor import VisitorConsumer
from helpdesk.agents.ws_auth import AgentAuthStack

websocket_urlpatterns = [
    path("ws/visitor/chats/<int:chat_id>/", VisitorConsumer.as_asgi()),
    path("ws/agent/", AgentAuthStack(AgentConsumer.as_asgi())),
]
