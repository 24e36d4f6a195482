"""Agents as the API shows them to colleagues and to themselves, with their presence
(chat.selectors.with_presence: the querysets come annotated)."""

from rest_framework import serializers

from chat.models import Presence
from helpdesk.models import Agent
from helpdesk.platform.fields import StrictBooleanField

PRESENCE_HELP = (
    "`online`: Online and connected (or gone for less than AGENT_AWAY_AFTER_SECONDS); `away`: Online "
    "but with no agent socket open for longer, so no chat is offered to them; `offline`: Offline "
    "by their own choice, or not enabled for chat."
)


def presence_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=Presence.choices, read_only=True, help_text=PRESENCE_HELP)


class AgentMeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    departments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    chat_status = serializers.ChoiceField(choices=Agent.ChatStatus.choices, required=False)
    ringer = StrictBooleanField(required=False)
    presence = presence_field()

    class Meta:
        model = Agent
        fields = ["id", "name", "departments", "chat_enabled", "chat_status", "ringer", "max_concurrent_chats"]
        fields += ["presence"]
        read_only_fields = ["id", "name", "departments", "chat_enabled", "max_concurrent_chats"]


class AgentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    departments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    presence = presence_field()

    class Meta:
        model = Agent
        fields = ["id", "name", "departments", "chat_enabled", "chat_status", "presence"]
