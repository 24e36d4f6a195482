"""GET /api/v1/reports/chats/: chat figures per day, agent or department, as JSON or (with
`?format=csv`) as a CSV download. For holders of chat.view_reports (the Managers group)."""

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.reports import FIGURES, chat_report
from chat.serializers.reports import ChatReportQuerySerializer, ChatReportSerializer
from helpdesk.agents.permissions import IsAgent

# A cell starting with one of these is a formula to a spreadsheet: such text is quoted with '.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CanViewReports(BasePermission):
    message = gettext_lazy("You need the permission to view reports.")

    def has_permission(self, request, view):
        return request.user.has_perm("chat.view_reports")


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_STARTS) else text


def report_csv(report: dict) -> str:
    """The report as CSV: a header (key, label, the figures), a line per row, then the total
    (key `total`). Empty cells are nulls."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["key", "label", *FIGURES])
    for row in report["rows"]:
        writer.writerow([_cell(row["key"]), _cell(row["label"]), *(_cell(row[name]) for name in FIGURES)])
    writer.writerow(["total", _("Total"), *(_cell(report["total"][name]) for name in FIGURES)])
    return out.getvalue()


def report_filename(report: dict) -> str:
    return f"chats-by-{report['group_by']}-{report['from']}-to-{report['to']}.csv"


class ReportCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return report_csv(data).encode()


class ChatReportView(APIView):
    """Chat figures for a range of days (docs/api.md, "Reports"), grouped by day, agent or
    department, with their total; `?format=csv` downloads the same as CSV."""

    permission_classes = [IsAgent, CanViewReports]
    renderer_classes = [JSONRenderer, ReportCSVRenderer]

    @extend_schema(
        parameters=[
            ChatReportQuerySerializer,
            OpenApiParameter("format", str, enum=["json", "csv"], required=False, description="csv: a CSV download."),
        ],
        responses={200: OpenApiResponse(ChatReportSerializer)},
    )
    def get(self, request):
        query = ChatReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        report = chat_report(span=data["span"], group_by=data["group_by"], department=data.get("department"))
        response = Response(report)
        if isinstance(request.accepted_renderer, ReportCSVRenderer):
            response["Content-Disposition"] = f'attachment; filename="{report_filename(report)}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # Only a report is CSV: errors ({"code", "detail"}) and OPTIONS stay JSON whatever the format.
        is_report = isinstance(getattr(response, "data", None), dict) and "rows" in response.data
        if isinstance(getattr(request, "accepted_renderer", None), ReportCSVRenderer) and not is_report:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
