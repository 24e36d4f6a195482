"""The signed-in agent's own chat settings."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import services
from helpdesk.agents.permissions import IsAgent
from helpdesk.agents.serializers import AgentMeSerializer


class AgentMeView(APIView):
    """The signed-in agent's profile and chat settings (status Online/Offline, ringer)."""

    permission_classes = [IsAgent]

    @extend_schema(responses=AgentMeSerializer)
    def get(self, request):
        return Response(AgentMeSerializer(request.user.agent).data)

    @extend_schema(request=AgentMeSerializer, responses=AgentMeSerializer)
    def patch(self, request):
        serializer = AgentMeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        agent = services.agent_update_chat_settings(
            actor=request.user.agent,
            chat_status=serializer.validated_data.get("chat_status"),
            ringer=serializer.validated_data.get("ringer"),
        )
        return Response(AgentMeSerializer(agent).data)
