from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from chat import report_page, widget_strings
from chat import views as chat_views
from chat.api import agents as chat_agents_api
from chat.api import departments as chat_departments_api
from chat.metrics import ChatStateCollector
from helpdesk.agents import accounts
from helpdesk.platform import health, metrics
from helpdesk.platform.api_errors import api_not_found
from tickets import views as ticket_views

api_v1 = [
    path("agents/", chat_agents_api.AgentListView.as_view(), name="agent-list"),
    path("departments/", chat_departments_api.DepartmentListView.as_view(), name="department-list"),
    path("", include("chat.urls")),
    path("", include("tickets.urls")),
    path("", include("canned.urls")),
    re_path(r"^[\s\S]*$", api_not_found),  # [\s\S], not ".": a path holding a newline (%0A) too
]

urlpatterns = [
    path("", RedirectView.as_view(url="/agent/", permanent=False)),
    # Liveness and readiness for load balancers (helpdesk/platform/health.py): no slash, no auth.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Prometheus (helpdesk/platform/metrics.py): METRICS_ALLOWED_IPS or METRICS_TOKEN, else 404.
    path("metrics", metrics.metrics_view(scrape_time=[ChatStateCollector()]), name="metrics"),
    path("agent/", chat_views.agent_dashboard, name="agent-dashboard"),
    path("chat/", chat_views.visitor_chat, name="visitor-chat"),
    path("chat/widget-strings/", widget_strings.widget_strings, name="widget-strings"),
    path("demo/", chat_views.widget_demo, name="widget-demo"),
    # The translations our JavaScript uses (static/common/i18n.js), in the request's language.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["helpdesk"]), name="javascript-catalog"),
    path("reports/", report_page.chat_reports, name="chat-reports"),
    path("monitor/", chat_views.monitor_page, name="monitor"),
    path("tickets/", ticket_views.ticket_list, name="ticket-list-page"),
    path("tickets/<int:ticket_id>/", ticket_views.ticket_detail, name="ticket-detail-page"),
    path("", include("canned.page_urls")),
    # Before django.contrib.auth's own, same paths and names: password reset exists only where it
    # is offered, and the sign-in page links it only then (helpdesk/agents/accounts.py).
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
