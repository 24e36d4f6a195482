from django.core.validators import RegexValidator
from rest_framework import serializers

from canned.models import CannedCategory, CannedMessage
from helpdesk.models import Department
from helpdesk.platform.fields import IdReferenceField, QuerySerializer, SlugReferenceField, StrictCharField


class CannedCategorySerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=100)
    message_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CannedCategory
        fields = ["id", "name", "message_count"]


class CannedMessageSerializer(serializers.ModelSerializer):
    """`department` is a slug, or null for all departments. On write, `category` is an id;
    `new_category` (a name) creates or reuses a category in place instead."""

    text = StrictCharField(max_length=5000, trim_whitespace=False)
    # The service's rule (canned.services.SHORTCUT_PATTERN, after lower-casing), as one pattern
    # the schema can state; not trimmed, so that the pattern is all there is to it.
    shortcut = StrictCharField(
        max_length=50, required=False, allow_blank=True, trim_whitespace=False,
        validators=[RegexValidator(r"\A[A-Za-z0-9_-]+\Z", message="Letters, digits, '-' or '_' only (e.g. refund).")],
    )  # fmt: skip
    department = SlugReferenceField(
        slug_field="slug", queryset=Department.objects.all(), allow_null=True, required=False
    )
    department_name = serializers.SerializerMethodField()
    category = IdReferenceField(queryset=CannedCategory.objects.all(), required=False)
    category_name = serializers.CharField(source="category.name", read_only=True)
    new_category = StrictCharField(max_length=100, required=False, allow_blank=True, write_only=True)

    class Meta:
        model = CannedMessage
        fields = [
            "id",
            "text",
            "shortcut",
            "department",
            "department_name",
            "category",
            "category_name",
            "new_category",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_department_name(self, message) -> str:
        return message.department.name if message.department else "All departments"


class CannedMessageQuerySerializer(QuerySerializer):
    q = StrictCharField(allow_blank=True, max_length=200, default="")
    # Empty: no filter (as absent).
    department = SlugReferenceField(
        slug_field="slug", queryset=Department.objects.all(), required=False, allow_null=True
    )
    category = IdReferenceField(queryset=CannedCategory.objects.all(), required=False)
