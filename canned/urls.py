from django.urls import path

from canned import api

urlpatterns = [
    path("canned-messages/", api.CannedMessageListView.as_view(), name="canned-message-list"),
    path("canned-messages/<int:message_id>/", api.CannedMessageDetailView.as_view(), name="canned-message-detail"),
    path("canned-categories/", api.CannedCategoryListView.as_view(), name="canned-category-list"),
    path("canned-categories/<int:category_id>/", api.CannedCategoryDetailView.as_view(), name="canned-category-detail"),
]
