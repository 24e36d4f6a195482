"""Departments as visitors see them before asking: whether a chat could start now, and what to
show when it cannot (chat.selectors.departments_with_availability)."""

from django.utils.translation import gettext
from rest_framework import serializers

from chat.selectors import OfflineReason
from helpdesk.agents.serializers import DepartmentSerializer as BaseDepartmentSerializer


class DepartmentSerializer(BaseDepartmentSerializer):
    available = serializers.BooleanField(
        read_only=True, help_text="An agent could be offered a chat now (or, routed one at a time, it would queue)."
    )
    offline_reason = serializers.ChoiceField(
        choices=OfflineReason.CHOICES,
        allow_null=True,
        read_only=True,
        help_text="null when available; outside_hours while closed, else no_agents.",
    )
    opens_at = serializers.DateTimeField(
        allow_null=True, read_only=True, help_text="While outside business hours, the next opening (within 14 days)."
    )
    greeting = serializers.SerializerMethodField(
        help_text="Shown to visitors above the pre-chat form: the manager's text as written, or the shipped "
        "default in the request's language."
    )

    def get_greeting(self, department) -> str:
        if department.greeting == department.DEFAULT_GREETING:  # not the manager's words: ours, translated
            return gettext(department.DEFAULT_GREETING)
        return department.greeting

    class Meta(BaseDepartmentSerializer.Meta):
        fields = [
            *BaseDepartmentSerializer.Meta.fields,
            "available",
            "offline_reason",
            "opens_at",
            "greeting",
            "away_message",
            "widget_colour",
        ]
