"""REST edge of the live monitor (managers: chat.monitor_chats; docs/api.md, "Live monitor"):
what it shows, and a manager's actions on other agents' chats and status. The live updates
come over the agent socket (`monitor.subscribe`, docs/protocol.md)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import frames, selectors, services
from chat.serializers.monitor import (
    MonitorAgentSerializer,
    MonitorChatSerializer,
    MonitorChatStatusSerializer,
    MonitorReassignSerializer,
    MonitorStateSerializer,
)
from helpdesk.agents.permissions import IsAgent


class CanMonitor(BasePermission):
    """An agent whose user has chat.monitor_chats (the "Managers" group has it)."""

    message = _("You may not use the live monitor.")

    def has_permission(self, request, view):
        return request.user.has_perm(selectors.MONITOR_PERMISSION)


class MonitorView(APIView):
    """Waiting chats, open chats and every agent with their chat status, presence and open chats."""

    permission_classes = [IsAgent, CanMonitor]

    @extend_schema(responses=MonitorStateSerializer)
    def get(self, request):
        return Response(frames.monitor_state_data(selectors.monitor_state()))


class MonitorAgentChatStatusView(APIView):
    """Set an agent Online or Offline (e.g. one who left without going Offline): their offers go,
    and their screens and the monitors are told, as if they had done it."""

    permission_classes = [IsAgent, CanMonitor]

    @extend_schema(request=MonitorChatStatusSerializer, responses=MonitorAgentSerializer)
    def post(self, request, agent_id: int):
        serializer = MonitorChatStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agent = services.agent_set_chat_status(
            actor=request.user.agent, agent_id=agent_id, chat_status=serializer.validated_data["chat_status"]
        )
        return Response(frames.monitor_agent_data(selectors.monitor_agents().get(pk=agent.pk)))


class MonitorChatReassignView(APIView):
    """Give a waiting or open chat to another available agent, at once: an open chat moves as a
    transfer from its owner (recorded in the conversation), a waiting one is taken for them."""

    permission_classes = [IsAgent, CanMonitor]

    @extend_schema(request=MonitorReassignSerializer, responses=MonitorChatSerializer)
    def post(self, request, chat_id: int):
        serializer = MonitorReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chat = services.chat_reassign(
            actor=request.user.agent, chat_id=chat_id, to_agent_id=serializer.validated_data["agent"]
        )
        return Response(frames.monitor_chat_data(selectors.monitor_chat(chat.pk)))
