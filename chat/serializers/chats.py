from django.conf import settings
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat import frames, selectors
from chat.models import Chat, Message
from helpdesk.models import Department
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.fields import QuerySerializer, StrictBooleanField, StrictCharField, StrictIntegerField
from helpdesk.platform.text import NON_BLANK_PATTERN, schema_pattern
from helpdesk.platform.validators import validate_person_name

# Where the visitor was: an http(s) URL as a browser's location.href spells it (ASCII). Checked
# with this one pattern, which the schema states, rather than Django's URLValidator, which no
# schema can state.
PAGE_URL_PATTERN = r"\A(https?://[!-~]+)?\Z"


class VisitorChatStartSerializer(serializers.Serializer):
    name = StrictCharField(max_length=150, validators=[validate_person_name])
    email = serializers.EmailField(max_length=254)
    question = StrictCharField(max_length=2000)
    department = StrictCharField(
        max_length=100, required=False, allow_null=True, allow_blank=True, help_text="A department's slug."
    )
    page_url = StrictCharField(
        max_length=2000, required=False, allow_blank=True, trim_whitespace=False,
        validators=[RegexValidator(PAGE_URL_PATTERN, message=gettext_lazy("Enter an http:// or https:// URL."))],
        help_text="The page the visitor is on: an http:// or https:// URL in ASCII (as location.href gives it).",
    )  # fmt: skip

    def validate_department(self, slug: str | None) -> Department | None:
        if not slug:
            return None
        department = Department.objects.filter(slug=slug).first()
        if department is None:  # well formed, only missing: as a missing object in a path
            detail = gettext("No department %(slug)s.") % {"slug": repr(slug)}
            raise DomainError(ErrorCode.NOT_FOUND, detail, field="department")
        return department


class VisitorChatStartedSerializer(serializers.Serializer):
    chat_id = serializers.IntegerField()
    visitor_token = serializers.CharField()
    ws_url = serializers.CharField()


class AgentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class VisitorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    ip_address = serializers.CharField(allow_null=True)
    browser = serializers.CharField()
    operating_system = serializers.CharField()
    location = serializers.CharField()
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()


class RatingSerializer(serializers.Serializer):
    """The visitor's rating of an ended chat (chat.frames.rating_data)."""

    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True, help_text='"" when the visitor left no comment.')


class ChatSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    department_name = serializers.CharField(source="department.name", read_only=True, default=None, allow_null=True)
    page_url = serializers.CharField(read_only=True)  # as stored; chats made before the pattern may hold any URL
    visitor = VisitorSerializer(read_only=True)
    owner = AgentRefSerializer(read_only=True, allow_null=True)
    participants = AgentRefSerializer(many=True, read_only=True)
    ticket_id = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()

    class Meta:
        model = Chat
        fields = [
            "id",
            "status",
            "question",
            "department",
            "department_name",
            "page_url",
            "visitor",
            "owner",
            "participants",
            "started_at",
            "accepted_at",
            "ends_at",
            "ended_at",
            "last_seq",
            "ticket_id",
            "rating",
        ]

    def get_ticket_id(self, chat) -> int | None:
        ticket = getattr(chat, "ticket", None)
        return ticket.pk if ticket else None

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, chat) -> dict | None:
        return frames.rating_data(chat)

    def to_representation(self, chat):
        data = super().to_representation(chat)
        read_up_to = getattr(chat, "read_up_to", None)  # chat.selectors.chats_visible_to
        if read_up_to is not None:
            # A former participant: the thread as far as they were there, the visitor by the
            # name and e-mail the thread already shows, without the facts of the visit.
            if read_up_to < data["last_seq"]:
                # They left before the end (leaving and handing over each write a line after
                # their last seq): the rating, given after the end, is not theirs to read.
                data["rating"] = None
            data["last_seq"] = min(data["last_seq"], read_up_to)
            data["visitor"].update(ip_address=None, browser="", operating_system="", location="")
        return data


class VisitorChatStateSerializer(serializers.ModelSerializer):
    """What the visitor's own page may know about its chat."""

    department = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    agent = serializers.SerializerMethodField()
    visitor_name = serializers.CharField(source="visitor.name")
    last_seq = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()

    class Meta:
        model = Chat
        fields = [
            "id",
            "status",
            "question",
            "department",
            "visitor_name",
            "agent",
            "started_at",
            "ends_at",
            "last_seq",
            "rating",
        ]

    def get_agent(self, chat) -> dict | None:
        return {"name": chat.owner.display_name} if chat.owner else None

    def get_last_seq(self, chat) -> int:
        """In the visitor's own sequence: internal notes are not counted (selectors.visitor_last_seq)."""
        return selectors.visitor_last_seq(chat)

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, chat) -> dict | None:
        return frames.rating_data(chat)


class SenderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Message.SenderKind.choices)
    name = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    chat_id = serializers.IntegerField(read_only=True)
    sender = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "chat_id", "seq", "sender", "body", "created_at", "client_id", "internal"]

    def get_sender(self, message) -> SenderSerializer:
        return {"kind": message.sender_kind, "name": message.sender_name}


@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": settings.CHAT_MAX_MESSAGE_CHARS,
        "pattern": schema_pattern(NON_BLANK_PATTERN),
    }
)
class MessageBodyField(StrictCharField):
    """The length is a domain rule (services.clean_body: message_too_long) so that REST and
    websocket give the same codes; the schema states it."""


class MessagePostSerializer(serializers.Serializer):
    body = MessageBodyField(trim_whitespace=False)  # blank: "invalid", as services.clean_body says
    # Not trimmed: the same key must mean the same message on REST and websocket.
    client_id = StrictCharField(max_length=64, required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    # An internal note: agents only, never sent to the visitor.
    internal = StrictBooleanField(required=False, default=False)


class ChatEndSerializer(serializers.Serializer):
    # Required: an empty body must not end a chat by accident.
    delay_seconds = StrictIntegerField(min_value=0, max_value=settings.CHAT_MAX_END_DELAY_SECONDS)


class ChatListQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=Chat.Status.choices, required=False)


class MessageListQuerySerializer(QuerySerializer):
    after_seq = serializers.IntegerField(min_value=0, default=0)


class RecentChatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Chat
        fields = ["id", "question", "status", "started_at"]


class RecentTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, ticket) -> str:
        return reverse("ticket-detail-page", args=[ticket.pk])


class VisitorInfoSerializer(serializers.Serializer):
    visitor = VisitorSerializer()
    recent_chats = RecentChatSerializer(many=True)
    recent_tickets = RecentTicketSerializer(many=True)
