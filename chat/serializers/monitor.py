"""The live monitor's REST shapes (GET /api/v1/monitor/ and its actions). The bodies are built by
chat.frames (monitor_state_data, monitor_chat_data, monitor_agent_data), the same builders as the
socket's `monitor.*` frames; these serializers read the actions' input and describe the bodies
in the OpenAPI document."""

from rest_framework import serializers

from chat.models import Chat, Presence
from chat.serializers.agents import PRESENCE_HELP
from helpdesk.models import Agent
from helpdesk.platform.fields import MAX_ID, StrictIntegerField


class MonitorAgentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MonitorVisitorSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()


class MonitorChatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Chat.Status.choices)
    question = serializers.CharField()
    department = serializers.CharField(allow_null=True, help_text="The department's slug.")
    department_name = serializers.CharField(allow_null=True)
    visitor = MonitorVisitorSerializer()
    owner = MonitorAgentRefSerializer(allow_null=True, help_text="Who has the chat; null while it waits.")
    participants = MonitorAgentRefSerializer(many=True, help_text="The agents taking part now, the owner included.")
    started_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True, help_text="The scheduled end while the chat is ending.")
    ended_at = serializers.DateTimeField(allow_null=True)


class MonitorAgentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    departments = serializers.ListField(child=serializers.CharField(), help_text="Slugs.")
    department_names = serializers.ListField(child=serializers.CharField(), help_text="Names, as `departments`.")
    chat_enabled = serializers.BooleanField()
    chat_status = serializers.ChoiceField(choices=Agent.ChatStatus.choices)
    presence = serializers.ChoiceField(choices=Presence.choices, help_text=PRESENCE_HELP)
    active_chats = serializers.IntegerField(help_text="Open chats (active or ending) they take part in.")
    max_chats = serializers.IntegerField(help_text="Their limit of open chats.")


class MonitorStateSerializer(serializers.Serializer):
    waiting = MonitorChatSerializer(many=True, help_text="Chats waiting for an agent, first started first.")
    active = MonitorChatSerializer(many=True, help_text="Open chats (active or ending), first started first.")
    agents = MonitorAgentSerializer(many=True, help_text="Every active agent, by name.")


class MonitorChatStatusSerializer(serializers.Serializer):
    chat_status = serializers.ChoiceField(choices=Agent.ChatStatus.choices)


class MonitorReassignSerializer(serializers.Serializer):
    agent = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="The id of the agent who gets the chat.")
