from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny

from helpdesk.agents.permissions import IsAgent
from helpdesk.agents.serializers import AgentSerializer, DepartmentSerializer
from helpdesk.models import Agent, Department


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
