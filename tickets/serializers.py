from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.models import Agent, Department
from helpdesk.platform.fields import (
    MAX_ID,
    IdReferenceField,
    QuerySerializer,
    SlugReferenceField,
    StrictCharField,
    StrictIntegerField,
)
from tickets.models import ThreadEntry, Ticket, TicketChange


class ThreadEntrySerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = ThreadEntry
        fields = ["position", "kind", "author", "body", "created_at"]

    def get_author(self, entry) -> dict:
        return {"kind": entry.author_kind, "name": entry.author_name}


class TicketChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.display_name", default=None, allow_null=True)

    class Meta:
        model = TicketChange
        fields = ["field", "old_value", "new_value", "changed_by", "changed_at"]


class TicketSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    requester = serializers.SerializerMethodField()
    views = serializers.SerializerMethodField()
    chat_id = serializers.IntegerField(source="source_chat_id", read_only=True)
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "requester",
            "department",
            "channel",
            "status",
            "views",
            "chat_id",
            "assignee",
            "created_at",
            "updated_at",
        ]

    def get_requester(self, ticket) -> dict:
        return {"name": ticket.requester_name, "email": ticket.requester_email}

    def get_views(self, ticket) -> list[str]:
        return ["Chat Transcripts" if ticket.kind == Ticket.Kind.CHAT_TRANSCRIPT else "Missed Chats"]

    def get_assignee(self, ticket) -> dict | None:
        return {"id": ticket.assignee.pk, "name": ticket.assignee.display_name} if ticket.assignee else None


class TicketRatingSerializer(serializers.Serializer):
    """The visitor's rating of the ticket's chat, as GET /api/v1/chats/{id}/ shows it."""

    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True, help_text='"" when the visitor left no comment.')


class TicketDetailSerializer(TicketSerializer):
    thread = ThreadEntrySerializer(many=True, read_only=True)
    history = TicketChangeSerializer(source="changes", many=True, read_only=True)
    agents = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = TicketSerializer.Meta.fields + ["rating", "agents", "thread", "history"]

    def get_agents(self, ticket) -> list[dict]:
        return [{"id": agent.pk, "name": agent.display_name} for agent in ticket.agents.all()]

    @extend_schema_field(TicketRatingSerializer(allow_null=True))
    def get_rating(self, ticket) -> dict | None:
        """The source chat's rating, read through the relation (tickets do not import chat)."""
        chat = ticket.source_chat
        if chat is None or chat.rating_score is None:
            return None
        return {"score": chat.rating_score, "comment": chat.rating_comment}


class TicketListQuerySerializer(QuerySerializer):
    view = serializers.ChoiceField(choices=["all", "open", "mine", "chat-transcripts", "missed-chats"], default="all")
    q = StrictCharField(allow_blank=True, max_length=200, default="")
    sort = serializers.ChoiceField(choices=["newest", "oldest", "updated", "subject", "status"], default="newest")
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    department = SlugReferenceField(slug_field="slug", queryset=Department.objects.all(), required=False)
    assignee = IdReferenceField(queryset=Agent.objects.all(), required=False)


class TicketUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    assignee = IdReferenceField(
        queryset=Agent.objects.filter(user__is_active=True), required=False, allow_null=True,
        help_text="An agent id, or null to unassign.",
    )  # fmt: skip


class CommentSerializer(serializers.Serializer):
    body = StrictCharField(max_length=10000)


class ReplySerializer(CommentSerializer):
    status = serializers.ChoiceField(
        choices=Ticket.Status.choices,
        required=False,
        help_text="Set the ticket's status in the same step (recorded in its history); omit to keep it.",
    )


class TicketBulkSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=100,
        help_text="The tickets to change (at most 100); all change or none.",
    )  # fmt: skip
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    assignee_id = IdReferenceField(
        queryset=Agent.objects.filter(user__is_active=True), required=False, allow_null=True,
        help_text="An agent id, or null to unassign.",
    )  # fmt: skip


class TicketBulkResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="How many tickets changed (those already so are not counted).")
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="The tickets asked for.")
