from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.platform.text import NO_NUL_PATTERN, NON_BLANK_PATTERN, text_problem

MAX_ID = 2**63 - 1  # the largest BigAutoField value


class StrictCharField(serializers.CharField):
    """Text input that its OpenAPI schema describes exactly: a string (numbers and booleans are
    refused instead of turned into text, as the websocket does), at most `max_length` characters
    as sent, no NUL; unless `allow_blank`, with a character other than whitespace. Surrounding
    whitespace is trimmed afterwards (unless trim_whitespace=False)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # drf-spectacular documents a RegexValidator as the field's `pattern`.
        pattern = NO_NUL_PATTERN if self.allow_blank else NON_BLANK_PATTERN
        self.validators.append(RegexValidator(pattern, message=self.error_messages["blank"]))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # The length as sent, not as trimmed: what the schema's maxLength says.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only; DRF also takes 1, "yes", "on" and the like, which the schema's
    `boolean` does not."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON number without a fraction (what the schema's `integer` means); DRF also takes a
    string of digits."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class _ReferenceMixin:
    """A reference to an object that does not exist (or is not visible to the caller) is
    `not_found` (404, the field named), as a missing object in the path is: the request is
    well formed, only the object is missing."""

    def fail(self, key, **kwargs):
        if key == "does_not_exist":
            model = self.get_queryset().model._meta.verbose_name
            value = kwargs.get("value", kwargs.get("pk_value"))
            detail = _("No %(model)s %(value)s.") % {"model": model, "value": repr(value)}
            raise DomainError(ErrorCode.NOT_FOUND, detail, field=self.field_name)
        return super().fail(key, **kwargs)


class SlugReferenceField(_ReferenceMixin, serializers.SlugRelatedField):
    """An object named by its slug; an empty string is not a slug, and text the database cannot
    store (NUL) never reaches the query."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data:
            self.fail("invalid")
        problem = text_problem(data)
        if problem:
            raise serializers.ValidationError(problem, code="invalid")
        return super().to_internal_value(data)


class SlugReferenceFieldSchema(OpenApiSerializerFieldExtension):
    target_class = SlugReferenceField

    def map_serializer_field(self, auto_schema, direction):
        # With allow_null an empty string means null (DRF's rule for related fields).
        return {"type": "string", "pattern": "^[^\\u0000]*$" if self.target.allow_null else "^[^\\u0000]+$"}


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdReferenceField(_ReferenceMixin, serializers.PrimaryKeyRelatedField):
    """An object named by its id: a positive integer (in a query, its digits)."""

    def to_internal_value(self, data):
        digits = isinstance(self.root, QuerySerializer) and isinstance(data, str) and data.isascii() and data.isdigit()
        if digits or (isinstance(data, float) and data.is_integer()):  # 5.0 is the integer 5 in JSON Schema
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int) or not 0 < data <= MAX_ID:
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class QuerySerializer(serializers.Serializer):
    """Query parameters. A parameter given with an empty value (`?status=`) is validated like any
    other value instead of being taken as absent, as DRF does for form input: the schema says
    what is accepted and nothing else is."""

    def __init__(self, *args, data=serializers.empty, **kwargs):
        if hasattr(data, "getlist"):  # a QueryDict: its last value of each name, as a plain dict
            data = {name: data.get(name) for name in data}
        super().__init__(*args, data=data, **kwargs)
