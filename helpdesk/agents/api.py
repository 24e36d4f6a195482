"""Departments (the agent list, with presence, is chat/api/agents.py)."""

from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny

from helpdesk.agents.serializers import DepartmentSerializer
from helpdesk.models import Department


class DepartmentListView(ListAPIView):
    """Departments a visitor can pick in the pre-chat form. GET /api/v1/departments/ is
    chat.api.departments.DepartmentListView, which adds each department's availability (it reads
    agents' presence, which this app does not know)."""

    authentication_classes = []  # public: a stale credential must not turn it into a 401
    permission_classes = [AllowAny]
    serializer_class = DepartmentSerializer
    queryset = Department.objects.all()
    pagination_class = None
