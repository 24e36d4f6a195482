"""Agents: the signed-in agent's own chat settings, and their colleagues, each with presence."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.serializers.agents import AgentMeSerializer, AgentSerializer
from helpdesk.agents.permissions import IsAgent
from helpdesk.models import Agent


class AgentListView(ListAPIView):
    """Colleagues (e.g. to assign a ticket): every active agent, with their chat status and presence."""

    permission_classes = [IsAgent]
    serializer_class = AgentSerializer
    pagination_class = None

    def get_queryset(self):
        agents = Agent.objects.filter(user__is_active=True)
        return selectors.with_presence(agents).prefetch_related("departments").order_by("display_name")


class AgentMeView(APIView):
    """The signed-in agent's profile and chat settings (status Online/Offline, ringer), and their presence."""

    permission_classes = [IsAgent]

    @extend_schema(responses=AgentMeSerializer)
    def get(self, request):
        return Response(AgentMeSerializer(selectors.agent_with_presence(request.user.agent)).data)

    @extend_schema(request=AgentMeSerializer, responses=AgentMeSerializer)
    def patch(self, request):
        serializer = AgentMeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        agent = services.agent_update_chat_settings(
            actor=request.user.agent,
            chat_status=serializer.validated_data.get("chat_status"),
            ringer=serializer.validated_data.get("ringer"),
        )
        return Response(AgentMeSerializer(selectors.agent_with_presence(agent)).data)
