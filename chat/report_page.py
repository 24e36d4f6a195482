"""The Reports page (/reports/): chat figures for a range of days and a department, as charts
per day (static/reports/reports.js draws them from the day report embedded in the page) and
tables per agent and per department, each downloadable as CSV from the reports API."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from chat.reports import FIGURES, chat_report, default_range
from chat.serializers.reports import ChatReportQuerySerializer
from helpdesk.models import Department
from helpdesk.platform.errors import DomainError


def _headings() -> list[str]:
    return [
        _("Chats"),
        _("Accepted"),
        _("Missed"),
        _("Abandoned"),
        _("Offline messages"),
        _("Missed rate"),
        _("Wait p50"),
        _("Wait p90"),
        _("First response p50"),
        _("First response p90"),
        _("Handling p50"),
        _("Messages"),
        _("Transfers"),
        _("Rating"),
        _("Ratings"),
    ]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return _("%(s)s s") % {"s": whole}
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return _("%(m)s min %(s)s s") % {"m": minutes, "s": rest}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}


def _cells(figures: dict) -> list[str]:
    cells = []
    for name in FIGURES:
        value = figures[name]
        if name.endswith("_seconds"):
            cells.append(_duration(value))
        elif value is None:
            cells.append("—")
        elif name == "missed_rate":
            cells.append(f"{value * 100:.1f} %")
        elif name == "rating_avg":
            cells.append(f"{value:.2f}")
        else:
            cells.append(str(value))
    return cells


def _table(report: dict, query: dict, title: str, group_by: str) -> dict:
    return {
        "id": f"by-{group_by}",
        "title": title,
        "rows": [
            {"label": row["label"], "unnamed": row["key"] is None, "cells": _cells(row)} for row in report["rows"]
        ],
        "total": _cells(report["total"]),
        "csv_url": reverse("report-chats") + "?" + urlencode({**query, "group_by": group_by, "format": "csv"}),
    }


@login_required
def chat_reports(request):
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise PermissionDenied(_("Your account has no agent profile."))
    if not request.user.has_perm("chat.view_reports"):
        raise PermissionDenied(_("You need the permission to view reports."))
    # The form sends empty fields for "all departments" and cleared dates: those are the defaults.
    query = ChatReportQuerySerializer(data={name: value for name, value in request.GET.items() if value})
    errors, context = [], {}
    try:
        valid = query.is_valid()
    except DomainError as error:  # an unknown department
        valid, errors = False, [error.detail]
    if not valid:
        errors += [str(message) for messages in query.errors.values() for message in messages] if not errors else []
        span, department = default_range(), None
    else:
        span, department = query.validated_data["span"], query.validated_data.get("department")
    if not errors:
        api_query = {"from": span.first.isoformat(), "to": span.last.isoformat()}
        if department:
            api_query["department"] = department.slug
        days = chat_report(span=span, group_by="day", department=department)
        context = {
            "days": days,
            "tables": [
                _table(
                    chat_report(span=span, group_by="agent", department=department), api_query, _("Per agent"), "agent"
                ),
                _table(
                    chat_report(span=span, group_by="department", department=department),
                    api_query,
                    _("Per department"),
                    "department",
                ),
                _table(days, api_query, _("Per day"), "day"),
            ],
        }
    context |= {
        "agent": agent,
        "active": "reports",
        "errors": errors,
        "first": request.GET.get("from") or span.first.isoformat(),
        "last": request.GET.get("to") or span.last.isoformat(),
        "department": request.GET.get("department") or "",
        "departments": Department.objects.order_by("name"),
        "headings": _headings(),
        "zone": settings.TIME_ZONE,
    }
    return render(request, "reports/chats.html", context)
