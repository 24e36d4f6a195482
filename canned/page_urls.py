"""The Canned Messages pages (canned/urls.py holds the API's routes)."""

from django.urls import path

from canned import views

urlpatterns = [
    path("canned/", views.message_list, name="canned-messages"),
    path("canned/new/", views.message_create, name="canned-message-new"),
    path("canned/<int:message_id>/edit/", views.message_edit, name="canned-message-edit"),
    path("canned/<int:message_id>/delete/", views.message_delete, name="canned-message-delete"),
    path("canned/categories/", views.category_list, name="canned-categories"),
    path("canned/categories/new/", views.category_create, name="canned-category-new"),
    path("canned/categories/<int:category_id>/edit/", views.category_edit, name="canned-category-edit"),
    path("canned/categories/<int:category_id>/delete/", views.category_delete, name="canned-category-delete"),
]
