"""GET /api/v1/departments/ with each department's availability: it reads agents' presence, so
it lives here, above chat's selectors (helpdesk.agents knows nothing of chats)."""

from chat import selectors
from chat.serializers.departments import DepartmentSerializer
from helpdesk.agents.api import DepartmentListView as BaseDepartmentListView


class DepartmentListView(BaseDepartmentListView):
    """Departments a visitor can pick in the pre-chat form, each saying whether a chat could
    start there now and, if not, why and when it opens (the widget shows the offline form)."""

    serializer_class = DepartmentSerializer

    def get_queryset(self):
        return selectors.departments_with_availability()
