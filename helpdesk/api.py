from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk import services
from helpdesk.models import Agent, Department
from helpdesk.permissions import IsAgent
from helpdesk.serializers import AgentMeSerializer, AgentSerializer, DepartmentSerializer


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
            agent=request.user.agent,
            chat_status=serializer.validated_data.get("chat_status"),
            ringer=serializer.validated_data.get("ringer"),
        )
        return Response(AgentMeSerializer(agent).data)


class AgentListView(ListAPIView):
    """Colleagues (e.g. to assign a ticket): every active agent, with their chat status."""

    permission_classes = [IsAgent]
    serializer_class = AgentSerializer
    pagination_class = None

    def get_queryset(self):
        return Agent.objects.filter(user__is_active=True).prefetch_related("departments").order_by("display_name")


class DepartmentListView(ListAPIView):
    """Departments a visitor can pick in the pre-chat form."""

    authentication_classes = []  # public: a stale credential must not turn it into a 401
    permission_classes = [AllowAny]
    serializer_class = DepartmentSerializer
    queryset = Department.objects.all()
    pagination_class = None
