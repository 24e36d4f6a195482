from rest_framework import serializers

from canned.models import CannedCategory, CannedMessage
from chat.serializers import StrictCharField
from helpdesk.models import Department


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
    shortcut = StrictCharField(max_length=50, required=False, allow_blank=True)
    department = serializers.SlugRelatedField(
        slug_field="slug", queryset=Department.objects.all(), allow_null=True, required=False
    )
    department_name = serializers.SerializerMethodField()
    category = serializers.PrimaryKeyRelatedField(queryset=CannedCategory.objects.all(), required=False)
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


class CannedMessageQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    department = serializers.SlugRelatedField(
        slug_field="slug", queryset=Department.objects.all(), required=False, allow_null=True
    )
    category = serializers.PrimaryKeyRelatedField(queryset=CannedCategory.objects.all(), required=False)
