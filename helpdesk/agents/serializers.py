"""Departments and agents as the API shows them."""

from rest_framework import serializers

from helpdesk.models import Agent, Department
from helpdesk.platform.fields import StrictBooleanField


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "slug"]


class AgentMeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    departments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    chat_status = serializers.ChoiceField(choices=Agent.ChatStatus.choices, required=False)
    ringer = StrictBooleanField(required=False)

    class Meta:
        model = Agent
        fields = ["id", "name", "departments", "chat_enabled", "chat_status", "ringer", "max_concurrent_chats"]
        read_only_fields = ["id", "name", "departments", "chat_enabled", "max_concurrent_chats"]


class AgentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    departments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Agent
        fields = ["id", "name", "departments", "chat_enabled", "chat_status"]
