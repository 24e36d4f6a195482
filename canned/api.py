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
from helpdesk.agents.permissions import IsAgent


class ModelPermissions(DjangoModelPermissions):
    """DRF's model permissions, with reading requiring the view permission too."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}

    def _queryset(self, view):
        # The model is all that is needed: permissions are decided before input is parsed.
        return view.queryset


PERMISSIONS = [IsAgent, ModelPermissions]


# The serializer's field names as canned_message_update's keywords.
_UPDATE_ARGS = {
    "text": "text",
    "department": "department",
    "category": "category",
    "new_category": "new_category_name",
    "shortcut": "shortcut",
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
        data = serializer.validated_data
        message = services.canned_message_create(
            actor=request.user.agent,
            text=data["text"],
            department=data.get("department"),  # absent: all departments
            category=data.get("category"),
            new_category_name=data.get("new_category"),
            shortcut=data.get("shortcut", ""),
        )
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
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        message = services.canned_message_update(
            actor=request.user.agent,
            message_id=kwargs["message_id"],
            # Only what the request gives: the other fields keep their values (None is a value).
            **{keyword: data[field] for field, keyword in _UPDATE_ARGS.items() if field in data},
        )
        return Response(CannedMessageSerializer(message).data)

    def destroy(self, request, *args, **kwargs):
        services.canned_message_delete(actor=request.user.agent, message_id=kwargs["message_id"])
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        category = services.canned_category_create(actor=request.user.agent, name=serializer.validated_data["name"])
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
        # Not partial: a name is all a category has, so a PATCH without one is a mistake
        # (helpdesk.platform.schema.add_request_body_rules documents it).
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.canned_category_rename(
            actor=request.user.agent, category_id=kwargs["category_id"], name=serializer.validated_data["name"]
        )
        return Response(CannedCategorySerializer(self.get_queryset().get(pk=category.pk)).data)

    def destroy(self, request, *args, **kwargs):
        services.canned_category_delete(actor=request.user.agent, category_id=kwargs["category_id"])
        return Response(status=status.HTTP_204_NO_CONTENT)
