"""REST edge for canned messages and categories. Who may write is decided by Django's model
permissions (add/change/delete), as in the admin."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListCreateAPIView, RetrieveUpdateDestroyAPIView
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.response import Response

from canned import selectors, services
from canned.models import CannedCategory, CannedMessage
from canned.serializers import CannedCategorySerializer, CannedMessageQuerySerializer, CannedMessageSerializer
from helpdesk.permissions import IsAgent


class ModelPermissions(DjangoModelPermissions):
    """DRF's model permissions, with reading requiring the view permission too."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}

    def _queryset(self, view):
        # The model is all that is needed: permissions are decided before input is parsed.
        return view.queryset


PERMISSIONS = [IsAgent, ModelPermissions]


def _write_args(data: dict) -> dict:
    return {
        "text": data.get("text"),
        "department": data.get("department"),
        "category": data.get("category"),
        "new_category_name": data.get("new_category"),
        "shortcut": data.get("shortcut", ""),
    }


class CannedMessageListView(ListCreateAPIView):
    """`?q=` ranks by shortcut, category and text (best first); `?department=<slug>` keeps that
    department's messages plus the all-department ones."""

    permission_classes = PERMISSIONS
    serializer_class = CannedMessageSerializer
    queryset = CannedMessage.objects.none()  # the model, for the permission check

    @extend_schema(parameters=[CannedMessageQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = CannedMessageQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.canned_messages_filtered(
            agent=self.request.user.agent,
            department=query.validated_data.get("department"),
            category=query.validated_data.get("category"),
            query=query.validated_data.get("q", ""),
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.canned_message_create(**_write_args(serializer.validated_data), by=request.user.agent)
        return Response(CannedMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class CannedMessageDetailView(RetrieveUpdateDestroyAPIView):
    permission_classes = PERMISSIONS
    serializer_class = CannedMessageSerializer
    queryset = CannedMessage.objects.none()  # the model, for the permission check
    lookup_url_kwarg = "message_id"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.canned_messages_for(self.request.user.agent)

    def update(self, request, *args, **kwargs):
        message = self.get_object()
        serializer = self.get_serializer(message, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        message = services.canned_message_update(
            message=message,
            text=data.get("text", message.text),
            department=data.get("department", message.department),  # None (all departments) is a value
            category=data.get("category", message.category),
            new_category_name=data.get("new_category"),
            shortcut=data.get("shortcut", message.shortcut),
            by=request.user.agent,
        )
        return Response(CannedMessageSerializer(message).data)

    def perform_destroy(self, instance):
        services.canned_message_delete(message=instance)


class CannedCategoryListView(ListCreateAPIView):
    permission_classes = PERMISSIONS
    serializer_class = CannedCategorySerializer
    queryset = CannedCategory.objects.none()  # the model, for the permission check
    pagination_class = None

    def get_queryset(self):
        return selectors.categories_with_counts()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.canned_category_create(name=serializer.validated_data["name"])
        return Response(
            CannedCategorySerializer(selectors.categories_with_counts().get(pk=category.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CannedCategoryDetailView(RetrieveUpdateDestroyAPIView):
    permission_classes = PERMISSIONS
    serializer_class = CannedCategorySerializer
    queryset = CannedCategory.objects.none()  # the model, for the permission check
    lookup_url_kwarg = "category_id"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.categories_with_counts()

    def update(self, request, *args, **kwargs):
        category = self.get_object()
        # Not partial: a name is all a category has, so a PATCH without one is a mistake
        # (helpdesk.schema.add_request_body_rules documents it).
        serializer = self.get_serializer(category, data=request.data)
        serializer.is_valid(raise_exception=True)
        services.canned_category_rename(category=category, name=serializer.validated_data["name"])
        return Response(CannedCategorySerializer(self.get_queryset().get(pk=category.pk)).data)

    def perform_destroy(self, instance):
        services.canned_category_delete(category=CannedCategory.objects.get(pk=instance.pk))
