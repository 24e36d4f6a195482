from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from helpdesk import api

api_v1 = [
    path("agents/me/", api.AgentMeView.as_view(), name="agent-me"),
    path("departments/", api.DepartmentListView.as_view(), name="department-list"),
    path("", include("chat.urls")),
    path("", include("tickets.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
