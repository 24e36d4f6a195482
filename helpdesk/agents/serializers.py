"""Departments as the API shows them (agents, with their presence: chat/serializers/agents.py;
a department's availability for visitors: chat/serializers/departments.py)."""

from rest_framework import serializers

from helpdesk.models import Department


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "slug", "routing"]
