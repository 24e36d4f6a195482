"""Shapes of the visitor's endpoints after a chat ended: rating it and e-mailing its transcript."""

from rest_framework import serializers

from chat.services import RATING_COMMENT_MAX_CHARS
from helpdesk.platform.fields import StrictCharField, StrictIntegerField


class OptionalTextField(StrictCharField):
    """StrictCharField with allow_blank whose maximum length holds for blank text too: DRF takes
    text of only whitespace as blank before any length check, whatever its length."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class VisitorRatingSerializer(serializers.Serializer):
    score = StrictIntegerField(min_value=1, max_value=5, help_text="1 (poor) to 5 (excellent).")
    comment = OptionalTextField(
        max_length=RATING_COMMENT_MAX_CHARS,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Optional; null, absent or blank: no comment. Trimmed.",
    )


class TranscriptEmailedSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="The address the transcript was sent to: the chat's visitor e-mail.")
