"""The offline message form (POST /api/v1/visitor/offline-messages/): the fields and rules of
starting a chat, so the same input gets the same field errors."""

from rest_framework import serializers

from chat.serializers.chats import VisitorChatStartSerializer
from helpdesk.platform.fields import MAX_ID, StrictIntegerField


class OfflineMessageSerializer(VisitorChatStartSerializer):
    page_url = None  # a ticket keeps no page
    chat_id = StrictIntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="The visitor's own chat (with its token in X-Visitor-Token) when nobody answered it: "
        "the message joins that chat's ticket.",
    )


class OfflineMessageLeftSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
