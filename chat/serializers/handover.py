from rest_framework import serializers

from chat.models import Invitation, Transfer
from chat.serializers.agents import presence_field
from chat.serializers.chats import AgentRefSerializer
from helpdesk.models import Agent, Department
from helpdesk.platform.fields import MAX_ID, QuerySerializer, SlugReferenceField, StrictCharField, StrictIntegerField


class TransferRequestSerializer(serializers.Serializer):
    agent = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="The receiving agent's id.")
    department = SlugReferenceField(
        slug_field="slug", queryset=Department.objects.all(), required=False, allow_null=True,
        help_text="For a department transfer: the chat moves to this department.",
    )  # fmt: skip
    note = StrictCharField(required=False, allow_blank=True, max_length=1000, help_text="A message for the agent.")


class InviteSerializer(serializers.Serializer):
    agents = serializers.ListField(child=StrictIntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=20)
    note = StrictCharField(required=False, allow_blank=True, max_length=1000)


class TransferSerializer(serializers.ModelSerializer):
    chat_id = serializers.IntegerField(read_only=True)
    from_agent = AgentRefSerializer(read_only=True)
    to_agent = AgentRefSerializer(read_only=True)
    department = serializers.SlugRelatedField(
        source="to_department", slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Transfer
        fields = ["id", "chat_id", "status", "from_agent", "to_agent", "department", "note"]
        fields += ["created_at", "expires_at", "decided_at"]


class InvitationSerializer(serializers.ModelSerializer):
    chat_id = serializers.IntegerField(read_only=True)
    inviter = AgentRefSerializer(read_only=True)
    invitee = AgentRefSerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "chat_id", "status", "inviter", "invitee", "note", "created_at", "expires_at", "decided_at"]


class InvitationListSerializer(serializers.Serializer):
    invitations = InvitationSerializer(many=True)


class AvailableAgentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    departments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    active_chats = serializers.IntegerField(source="open_chats")
    presence = presence_field()

    class Meta:
        model = Agent
        fields = ["id", "name", "departments", "active_chats", "presence"]


class AvailableQuerySerializer(QuerySerializer):
    # Empty: agents of any department (as absent).
    department = SlugReferenceField(
        slug_field="slug", queryset=Department.objects.all(), required=False, allow_null=True
    )
