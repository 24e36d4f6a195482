"""The chat report's query and its answer (docs/api.md, "Reports")."""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat.reports import FIGURES, GROUPINGS, MAX_DAYS, ReportRange, default_range
from helpdesk.models import Department
from helpdesk.platform.fields import QuerySerializer, SlugReferenceField

# Years 1970 to 2999: a day's bounds in any time zone stay representable.
DATE_PATTERN = r"^(19[7-9][0-9]|2[0-9]{3})-[0-9]{2}-[0-9]{2}$"


@extend_schema_field({"type": "string", "format": "date", "pattern": DATE_PATTERN})
class DateField(serializers.DateField):
    """A date as YYYY-MM-DD exactly (DRF would take 2026-1-1 too), in the years 1970 to 2999."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["iso-8601"], **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(DATE_PATTERN, value):
            self.fail("invalid", format="YYYY-MM-DD (1970-2999)")
        return super().to_internal_value(value)


class ChatReportQuerySerializer(QuerySerializer):
    # `from` is a Python keyword: the field is put in the class namespace by name.
    locals()["from"] = DateField(
        required=False,
        help_text="First day (YYYY-MM-DD, in the site's time zone); default: 6 days before `to`.",
    )
    to = DateField(
        required=False, help_text="Last day, inclusive; default: 6 days after `from`; neither given: the last 7 days."
    )
    department = SlugReferenceField(
        slug_field="slug", queryset=Department.objects.all(), required=False, help_text="A department's slug."
    )
    group_by = serializers.ChoiceField(choices=list(GROUPINGS), default="day")

    def validate(self, data):
        first, last = data.get("from"), data.get("to")
        week = default_range()
        if first is None and last is None:
            first, last = week.first, week.last
        elif first is None:
            first = last - (week.last - week.first)
        elif last is None:
            last = first + (week.last - week.first)
        if last < first:
            raise serializers.ValidationError({"to": [_("`to` is before `from`.")]})
        if (last - first).days + 1 > MAX_DAYS:
            raise serializers.ValidationError({"to": [_("A report covers at most 366 days.")]})
        data["span"] = ReportRange(first, last)
        return data


class ChatFiguresSerializer(serializers.Serializer):
    chats_started = serializers.IntegerField(help_text="Chats started in the range (any status).")
    chats_accepted = serializers.IntegerField(help_text="Of those, chats an agent accepted.")
    chats_missed = serializers.IntegerField(help_text="Missed: nobody accepted in time, or no agent was left.")
    chats_abandoned = serializers.IntegerField(help_text="Missed because the visitor left while waiting.")
    offline_messages = serializers.IntegerField(help_text="Offline messages left in the range.")
    missed_rate = serializers.FloatField(
        allow_null=True, help_text="chats_missed / (chats_started − chats_abandoned); null when that is 0."
    )
    wait_p50_seconds = serializers.FloatField(allow_null=True, help_text="Start → accept, median (nearest rank).")
    wait_p90_seconds = serializers.FloatField(allow_null=True, help_text="Start → accept, 90th percentile.")
    first_response_p50_seconds = serializers.FloatField(
        allow_null=True, help_text="Accept → first agent message to the visitor (no internal notes), median."
    )
    first_response_p90_seconds = serializers.FloatField(allow_null=True, help_text="The same, 90th percentile.")
    handle_p50_seconds = serializers.FloatField(allow_null=True, help_text="Accept → end, median.")
    messages = serializers.IntegerField(help_text="Visitor and agent messages in these chats (no notes).")
    transfers = serializers.IntegerField(help_text="Accepted transfers of these chats.")
    rating_avg = serializers.FloatField(allow_null=True, help_text="Average visitor rating (1-5), 2 decimals.")
    ratings = serializers.IntegerField(help_text="Rated chats.")


assert tuple(ChatFiguresSerializer().fields) == FIGURES


class ChatReportRowSerializer(ChatFiguresSerializer):
    key = serializers.JSONField(
        allow_null=True,
        help_text="The day (YYYY-MM-DD), the agent's id or the department's slug; null for chats without one.",
    )
    label = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        return {"key": fields.pop("key"), "label": fields.pop("label"), **fields}


class ChatReportSerializer(serializers.Serializer):
    locals()["from"] = serializers.DateField()
    to = serializers.DateField()
    group_by = serializers.ChoiceField(choices=list(GROUPINGS))
    rows = ChatReportRowSerializer(many=True)
    total = ChatFiguresSerializer()
